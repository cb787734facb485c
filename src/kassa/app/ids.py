"""Fresh identifiers: object ids, API keys, barcodes, ticket serials."""

import hashlib
import itertools
import os
import secrets
import string
import struct
from datetime import datetime

_counter = itertools.count(secrets.randbelow(0xFFFFFF))
_process = secrets.token_bytes(5)
_pid = os.getpid()


def new_id(now: datetime) -> str:
    """A 24-hex object id: 4-byte time, 5 random bytes per process, 3-byte counter."""
    global _process, _pid
    if os.getpid() != _pid:  # a forked worker must not share the parent's random part
        _process, _pid = secrets.token_bytes(5), os.getpid()
    count = next(_counter) & 0xFFFFFF
    return (struct.pack(">I", int(now.timestamp())) + _process + count.to_bytes(3, "big")).hex()


def new_api_key() -> str:
    """32 lowercase hex characters, as the ticketing API's `Authorization: key ...` carries."""
    return secrets.token_hex(16)


def hash_api_key(key: str) -> str:
    """Keys are 128-bit random, so one SHA-256 is enough; only the hash is stored."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_barcode() -> str:
    """A 16-digit numeric barcode (scannable as Code 128 or a QR code)."""
    return str(secrets.randbelow(9 * 10**15) + 10**15)


def new_serial() -> str:
    """A three-letter series printed on a set's tickets, e.g. "BKC"."""
    return "".join(secrets.choice(string.ascii_uppercase) for _ in range(3))


_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a door


def new_order_code() -> str:
    """The 8-character code a done order gets (40 random bits)."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
