"""Settings: every variable declared once (config.VARIABLES), read with its default, refused
with a message that names it, and documented in the README with the same default."""

import re
from datetime import timedelta
from pathlib import Path

import pytest

from kassa.config import VARIABLES, ConfigError, Settings, redacted

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_declared_defaults_are_the_settings_defaults() -> None:
    assert Settings.from_env({}) == Settings()


def test_a_variable_set_to_nothing_keeps_its_default() -> None:
    assert Settings.from_env({v.name: "" for v in VARIABLES}) == Settings()


def test_values_are_read_by_their_kind() -> None:
    settings = Settings.from_env(
        {
            "KASSA_HOLD_MINUTES": "2.5",
            "KASSA_SMTP_PORT": "587",
            "KASSA_SMTP_STARTTLS": "yes",
            "KASSA_DEMO": "0",
            "KASSA_LOG_LEVEL": "WARNING",
            "KASSA_DATABASE_URL": "postgresql://kassa:pw@db:5432/kassa",
        }
    )
    assert settings.hold == timedelta(minutes=2.5)
    assert (settings.smtp.port, settings.smtp.starttls) == (587, True)
    assert (settings.demo, settings.log_level) == (False, "warning")


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("KASSA_HOLD_MINUTES", "ten", "not a number"),
        ("KASSA_HOLD_MINUTES", "nan", "not a number"),
        ("KASSA_HOLD_MINUTES", "0", "too small"),
        ("KASSA_DB_POOL_SIZE", "1.5", "not a whole number"),
        ("KASSA_DB_POOL_SIZE", "0", "too small"),
        ("KASSA_SMTP_PORT", "70000", "too large"),
        ("KASSA_DEMO", "maybe", "neither yes nor no"),
        ("KASSA_LOG_LEVEL", "loud", "not a log level"),
    ],
)
def test_a_bad_value_names_the_variable_what_it_takes_and_its_default(
    name: str, value: str, said: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({name: value})
    default = next(v.default for v in VARIABLES if v.name == name)
    message = str(raised.value)
    assert message.startswith(f"{name}='{value}' is {said}: set it to ")
    assert f"(default {default})" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "url",
    [
        "mysql://kassa:secret@db/kassa",
        "notaurl",
        "postgresql://kassa:secret@db:5432:x/kassa",
        "oracle+cx_oracle://kassa:secret@db/kassa",
    ],
)
def test_a_database_url_kassa_cannot_use_is_refused_without_its_password(url: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"KASSA_DATABASE_URL": url})
    assert str(raised.value).startswith("KASSA_DATABASE_URL")
    assert "postgresql://user:password@host:5432/dbname" in str(raised.value)
    assert "secret" not in str(raised.value)


def test_the_database_is_shown_without_its_password() -> None:
    assert redacted("postgresql://kassa:s3cret@db:5432/kassa") == (
        "postgresql://kassa:***@db:5432/kassa"
    )
    assert redacted("sqlite:///./kassa.db") == "sqlite:///./kassa.db"


def test_the_readme_lists_every_setting_with_its_default() -> None:
    row = re.compile(r"^\| `(KASSA_[A-Z_]+)` \| (?:`([^`]+)`|—) \|", re.M)
    rows = dict(row.findall(README.read_text()))
    assert rows == {v.name: v.default for v in VARIABLES}


def test_production_hashes_passwords_at_argon2s_default_cost() -> None:
    """KASSA_PASSWORD_HASH_MEMORY_KIB is lowered by the test suite only: unset (or empty), a
    process hashes at argon2-cffi's default (RFC 9106's low-memory profile, 64 MiB), and the
    demo's stored hash is made at it."""
    from argon2 import PasswordHasher, extract_parameters, profiles

    from kassa.app import demo, operators

    assert Settings().password_hash_memory_kib == 65536
    assert Settings.from_env({}).password_hash_memory_kib == 65536
    assert (
        Settings.from_env({"KASSA_PASSWORD_HASH_MEMORY_KIB": "32"}).password_hash_memory_kib == 32
    )
    assert operators.DEFAULT_HASH_MEMORY_KIB == profiles.RFC_9106_LOW_MEMORY.memory_cost == 65536
    stored = extract_parameters(demo.OPERATOR_PASSWORD_HASH)
    assert stored == profiles.RFC_9106_LOW_MEMORY
    assert not PasswordHasher().check_needs_rehash(demo.OPERATOR_PASSWORD_HASH)


def test_the_password_hash_setting_makes_the_hashes_and_a_sign_in_rehashes_at_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from argon2 import extract_parameters

    from kassa.app import demo, operators

    monkeypatch.setattr(operators, "_hasher", operators._hasher)  # put back afterwards
    operators.use_password_hash_memory(operators.DEFAULT_HASH_MEMORY_KIB)
    assert demo.operator_password_hash() == demo.OPERATOR_PASSWORD_HASH
    assert extract_parameters(operators.hash_password("x" * 8)).memory_cost == 65536
    operators.use_password_hash_memory(64)
    cheap = demo.operator_password_hash()
    assert extract_parameters(cheap).memory_cost == 64
    assert operators.check_password(cheap, demo.OPERATOR_PASSWORD)
    assert operators.needs_rehash(demo.OPERATOR_PASSWORD_HASH)  # rehashed at its next sign-in
    assert extract_parameters(operators._dummy_hash()).memory_cost == 64
