"""Log lines: readable text or JSON lines (KASSA_LOG_FORMAT=json), each naming the request.

Every line written while a request is served carries its id (`X-Request-Id`); lines of the
worker and the CLI carry none. The same configuration is handed to uvicorn, which applies it
in each server process it starts, so every process logs alike.
"""

import json
import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

from kassa.app.trace import current_request_id

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# uvicorn's access line arguments, named as fields in JSON lines.
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, and the error."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": _request_id(record),
        }
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            line.update(zip(_ACCESS_FIELDS, args, strict=True))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def _request_id(record: logging.LogRecord) -> str | None:
    found = getattr(record, "request_id", None)
    if found is None:  # a handler without the filter
        return current_request_id()
    return None if found == "-" else str(found)


def config(log_format: str = "text", level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for the whole process, uvicorn's loggers included."""
    if log_format not in FORMATS:
        raise ValueError(f"KASSA_LOG_FORMAT must be one of {', '.join(FORMATS)}: {log_format!r}")
    level = level.upper()
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"kassa": formatter},
        "handlers": {
            "kassa": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "kassa",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["kassa"], "level": level},
        # uvicorn's own handlers are replaced: its lines go through the root's, like ours.
        "loggers": {
            name: {"handlers": [], "level": level, "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure(log_format: str = "text", level: str = "INFO") -> None:
    """Set up this process's logging."""
    logging.config.dictConfig(config(log_format, level))
