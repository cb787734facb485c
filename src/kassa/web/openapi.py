"""The OpenAPI document at `/openapi.json`, made to tell the truth about every face.

FastAPI documents what it sees: the models a route declares. What it cannot see is added here,
once, for every operation, from the same tables the error handler and the middleware use:

- errors in the face's own format (ticketing v1 and Kassa's API, ticketing v2 resources, the
  loyalty envelope, the delivery list of problems), for the statuses Kassa really sends: 400
  (bad input, never FastAPI's 422), 401/403 (every face checks its caller), 404, 409 and 422
  (an Idempotency-Key reused) on writes, 413 on bodies, 503 with `Retry-After`, 406 (an
  `Accept` JSON cannot satisfy) everywhere and 415 (a body that is not JSON, or not a form
  on the token endpoint) on writes: `kassa.web.negotiation`;
- the security scheme of each face: `Authorization: key <api key>`, the aggregator's bearer
  token, a loyalty shop's `shop_id` + `shop_secret`;
- the `Idempotency-Key` header of every write;
- request bodies and query parameters of faces that parse their input themselves (to check
  the caller before the body, as the partner API does): `request_body()` and `query()` give
  the `openapi_extra` of such a route from a pydantic model.

Operation ids are unique: a route answering two methods gets the method in its id.
"""

from collections import Counter
from typing import Any

from pydantic import BaseModel

from kassa.web.errors import PROMOCODE_CHECK_PATH, is_delivery, is_loyalty, is_v2

REF = "#/components/schemas/{model}"
DELIVERY_TOKEN_PATH = "/security/oauth/token"  # noqa: S105 - a path, not a secret

# Models that only `request_body()`/`query()` name: merged into components at the end.
_schemas: dict[str, Any] = {}

IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": (
        "Makes the call safe to retry: the first answer is kept for 24 h and replayed (with "
        "`Idempotent-Replayed: true`) to a retry with the same key and request; the same key "
        "with another request is 422; a retry while the first call runs is 409."
    ),
}

SECURITY_SCHEMES: dict[str, Any] = {
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Authorization: key <api key>` (ticketing v1/v2 and Kassa's own API); "
        "`kassa demo` prints the demo organiser's and seller's keys.",
    },
    "aggregatorToken": {
        "type": "oauth2",
        "description": "The delivery aggregator's bearer token, from "
        "`POST /security/oauth/token` with the client's id and secret.",
        "flows": {"clientCredentials": {"tokenUrl": DELIVERY_TOKEN_PATH, "scopes": {}}},
    },
    "shopId": {
        "type": "apiKey",
        "in": "query",
        "name": "shop_id",
        "description": "The loyalty shop's id: in the query of a GET, in the JSON body of a POST.",
    },
    "shopSecret": {
        "type": "apiKey",
        "in": "query",
        "name": "shop_secret",
        "description": "The loyalty shop's secret: in the query of a GET, in the JSON body of a "
        "POST.",
    },
}

_STRING = {"type": "string"}
ERROR_SCHEMAS: dict[str, Any] = {
    "TicketingError": {
        "type": "object",
        "description": "An error of ticketing v1, the promo-code service and Kassa's own API.",
        "required": ["error", "reason", "code"],
        "properties": {
            "error": {**_STRING, "examples": ["HTTPNotFound"]},
            "reason": {**_STRING, "examples": ["Order not found"]},
            "code": {
                **_STRING,
                "description": "Kassa's stable machine-readable code",
                "examples": ["order_not_found"],
            },
            "fields": {
                "type": "array",
                "description": "Each field that failed validation (400 only).",
                "items": {
                    "type": "object",
                    "required": ["field", "msg"],
                    "properties": {"field": _STRING, "msg": _STRING},
                },
            },
        },
    },
    "PromocodeCheckError": {
        "type": "object",
        "description": "A failure of the promo-code check, exactly as documented.",
        "required": ["error", "reason"],
        "additionalProperties": False,
        "properties": {
            "error": {**_STRING, "examples": ["HTTPBadRequest"]},
            "reason": {**_STRING, "examples": ["Promocode not found"]},
        },
    },
    "TicketingV2Error": {
        "type": "object",
        "description": "An error of the ticketing v2 resources.",
        "required": ["errors"],
        "properties": {
            "errors": {"type": "array", "items": _STRING, "examples": [["Order not found"]]}
        },
    },
    "LoyaltyError": {
        "type": "object",
        "description": "The REES46 error envelope.",
        "required": ["status", "success", "payload"],
        "properties": {
            "status": {"const": "error"},
            "success": {"const": False},
            "payload": {
                "type": "object",
                "required": ["message"],
                "properties": {"message": {**_STRING, "examples": ["Shop not found"]}},
            },
        },
    },
    "DeliveryErrors": {
        "type": "array",
        "description": "The Yandex Eats list of problems.",
        "items": {
            "type": "object",
            "required": ["code", "description"],
            "properties": {
                "code": {"type": "integer", "examples": [100]},
                "description": {**_STRING, "examples": ["Order not found"]},
            },
        },
    },
    "DeliveryUnauthorized": {
        "type": "object",
        "description": "The Yandex Eats answer to a missing, wrong or expired token.",
        "required": ["reason"],
        "properties": {"reason": {**_STRING, "examples": ["Token is expired or invalid"]}},
    },
}

_DESCRIPTIONS = {
    "400": "Bad input: the body, a query or path parameter is malformed or out of range",
    "401": "No credentials, or credentials Kassa does not know",
    "403": "The credentials do not allow this",
    "404": "Not found, or not the caller's (another organisation's object is never shown)",
    "409": "A conflict: the object changed meanwhile, a concurrent change to the same order "
    "is in progress, or a retry arrived while the first call with its Idempotency-Key runs",
    "406": "The `Accept` header admits no JSON (`*/*`, `application/*`, `application/json`)",
    "413": "The request body is larger than the server accepts",
    "415": "The body's `Content-Type` is not one this operation reads (JSON; a form on the "
    "delivery token endpoint)",
    "422": "The Idempotency-Key was already used with another request",
    "503": "The database is out of reach or out of connections; try again after Retry-After",
}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
}
_WRITES = {"post", "put", "patch", "delete"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _register(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF)
    _schemas.update(schema.pop("$defs", {}))
    _schemas[model.__name__] = schema
    return _ref(model.__name__)


def request_body(
    model: type[BaseModel], examples: dict[str, Any] | None = None, *, required: bool = True
) -> dict[str, Any]:
    """`openapi_extra` of a route that reads a JSON body of `model` itself."""
    content: dict[str, Any] = {"schema": _register(model)}
    if examples:
        content["examples"] = {name: {"value": value} for name, value in examples.items()}
    return {"requestBody": {"required": required, "content": {"application/json": content}}}


def query(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` of a route that reads its query parameters as `model` itself."""
    schema = model.model_json_schema(ref_template=REF)
    _schemas.update(schema.pop("$defs", {}))
    required = set(schema.get("required", ()))
    return {
        "parameters": [
            {"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema.get("properties", {}).items()
        ]
    }


def _face(path: str) -> str:
    if path == PROMOCODE_CHECK_PATH:
        return "promocode_check"
    if is_delivery(path):
        return "delivery"
    if is_loyalty(path):
        return "loyalty"
    if is_v2(path):
        return "v2"
    return "ticketing"


_ERROR_OF_FACE = {
    "delivery": "DeliveryErrors",
    "loyalty": "LoyaltyError",
    "v2": "TicketingV2Error",
    "ticketing": "TicketingError",
    "promocode_check": "PromocodeCheckError",
}


def _security(face: str, path: str, method: str) -> list[dict[str, list[str]]]:
    if face == "delivery":
        return [] if path == DELIVERY_TOKEN_PATH else [{"aggregatorToken": []}]
    if face == "loyalty":
        # A POST carries the shop's credentials in its body (documented in the body's model).
        return [{"shopId": [], "shopSecret": []}] if method == "get" else []
    return [{"apiKey": []}]


def _errors(face: str, method: str) -> dict[str, Any]:
    codes = ["400", "401", "403", "404", "406", "503"]
    if method in _WRITES:
        codes += ["409", "413", "415", "422"]
    answers: dict[str, Any] = {}
    for code in sorted(codes):
        schema = _ERROR_OF_FACE[face]
        if face == "delivery" and code == "401":
            schema = "DeliveryUnauthorized"
        answer: dict[str, Any] = {
            "description": _DESCRIPTIONS[code],
            "content": {"application/json": {"schema": _ref(schema)}},
        }
        if code == "503":
            answer["headers"] = _RETRY_AFTER
        answers[code] = answer
    return answers


def _unique_ids(operations: list[tuple[str, dict[str, Any]]]) -> None:
    seen = Counter(op.get("operationId") for _, op in operations)
    for method, op in operations:
        if seen[op.get("operationId")] > 1:
            base = str(op["operationId"]).rsplit("_", 1)[0]
            op["operationId"] = f"{base}_{method}"


FIELDS_SCHEMA = "fields-schema"


def _keys_of(model: dict[str, Any], found: dict[str, Any]) -> list[str]:
    ref = model.get("$ref", "")
    target = found.get(ref.rsplit("/", 1)[-1], {}) if ref else model
    return sorted(target.get("properties", {}))


def _cut_down(op: dict[str, Any], found: dict[str, Any]) -> None:
    """An operation taking `fields-schema` answers either its model or the object cut to the
    fields the caller named (only the model's keys, references expanded): say both."""
    if not any(p.get("name") == FIELDS_SCHEMA for p in op.get("parameters", [])):
        return
    bad = op.get("responses", {}).get("400", {}).get("content", {}).get("application/json")
    if bad is not None:  # a bad `fields-schema` is answered in the v2 list shape (the spec's)
        bad["schema"] = {"anyOf": [bad["schema"], _ref("TicketingV2Error")]}
    for code, answer in op.get("responses", {}).items():
        media = answer.get("content", {}).get("application/json")
        if not code.startswith("2") or not media or "schema" not in media:
            continue
        full = media["schema"]
        is_list = full.get("type") == "array"
        keys = _keys_of(full["items"] if is_list else full, found)
        cut = {
            "type": "object",
            "description": "With `fields-schema`: only the fields it names, references expanded",
            "propertyNames": {"enum": keys},
        }
        media["schema"] = {"anyOf": [full, {"type": "array", "items": cut} if is_list else cut]}


def finish(schema: dict[str, Any]) -> dict[str, Any]:
    """Add what FastAPI cannot see to the document it generated, in place."""
    operations: list[tuple[str, dict[str, Any]]] = []
    for path, items in schema.get("paths", {}).items():
        for method, op in items.items():
            operations.append((method, op))
            if "tags" in op:  # a router included in a tagged one repeats its tag: Swagger UI
                op["tags"] = list(dict.fromkeys(op["tags"]))  # then renders nothing past it
            face = _face(path)
            security = op.pop("security", None) or _security(face, path, method)
            if security:
                op["security"] = security
            responses = op.setdefault("responses", {})
            responses.pop("422", None)
            for code, answer in _errors(face, method).items():
                responses.setdefault(code, answer)
            if method in _WRITES:
                op.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
    _unique_ids(operations)
    components = schema.setdefault("components", {})
    found = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        found.pop(name, None)
    for name, model in {**_schemas, **ERROR_SCHEMAS}.items():
        found.setdefault(name, model)
    components["securitySchemes"] = SECURITY_SCHEMES
    for _, op in operations:
        _cut_down(op, found)
    return schema
