"""Password hashing with scrypt from the standard library.

Hashes carry their parameters (`scrypt$n$r$p$salt$hash`), so raising the work factor later does not lock out
existing users. Hashing is CPU-bound and deliberately slow, so it runs in a worker thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import anyio.to_thread

__all__ = ["PasswordHasher"]

_SCHEME = "scrypt"
_SALT_BYTES = 16
_KEY_BYTES = 32


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # maxmem must cover 128 * n * r bytes plus overhead, or OpenSSL refuses the parameters.
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=_KEY_BYTES, maxmem=256 * n * r + 2**20)


class PasswordHasher:
    """Hashes and verifies passwords; `cost` is log2 of scrypt's N (14 = 16 MiB of memory per hash)."""

    def __init__(self, cost: int = 14, block_size: int = 8, parallelism: int = 1) -> None:
        if not 1 <= cost <= 20:
            raise ValueError(f"scrypt cost must be between 1 and 20 (log2 of N), got {cost}.")
        self._n = 2**cost
        self._r = block_size
        self._p = parallelism
        # Verifying against this when a username does not exist takes as long as a real check.
        self._dummy = self._hash_sync(secrets.token_urlsafe(16))

    def _hash_sync(self, password: str) -> str:
        salt = secrets.token_bytes(_SALT_BYTES)
        key = _scrypt(password, salt, self._n, self._r, self._p)
        return f"{_SCHEME}${self._n}${self._r}${self._p}${_b64(salt)}${_b64(key)}"

    @staticmethod
    def _verify_sync(password: str, encoded: str) -> bool:
        try:
            scheme, n, r, p, salt, key = encoded.split("$")
            if scheme != _SCHEME:
                return False
            expected = base64.b64decode(key, validate=True)
            actual = _scrypt(password, base64.b64decode(salt, validate=True), int(n), int(r), int(p))
        except ValueError:
            return False
        return hmac.compare_digest(actual, expected)

    async def hash(self, password: str) -> str:
        """A salted hash of `password`, safe to store."""
        return await anyio.to_thread.run_sync(self._hash_sync, password)

    async def verify(self, password: str, encoded: str | None) -> bool:
        """Whether `password` matches `encoded`; with None (no such user) it still spends the same time."""
        if encoded is None:
            await anyio.to_thread.run_sync(self._verify_sync, password, self._dummy)
            return False
        return await anyio.to_thread.run_sync(self._verify_sync, password, encoded)
