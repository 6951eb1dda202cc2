"""Passwords kept as scrypt hashes with a random salt, compared in constant time."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

#: Shortest accepted password, in characters.
MIN_PASSWORD_LENGTH = 8


#: scrypt cost: N (CPU/memory), r (block size), p (parallelism); 32 MiB, ~0.1 s a hash.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1


_SALT_BYTES = 16


_KEY_BYTES = 32


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A salted scrypt hash, ``scrypt$N$r$p$salt$key`` (base64), with a fresh random salt."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _scrypt(password, salt, n, r, p)
    return "$".join(["scrypt", str(n), str(r), str(p), _b64(salt), _b64(key)])


def check_password(password: str, encoded: str | None) -> bool:
    """True when ``password`` matches ``encoded`` (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, key = (encoded or "").split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r, dklen=_KEY_BYTES
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@functools.cache
def dummy_hash() -> str:
    """A hash checked when the user does not exist, so that both cases take the same time."""
    return hash_password(secrets.token_hex(16))
