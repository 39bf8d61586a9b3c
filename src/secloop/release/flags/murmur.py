"""MurmurHash3 x86_32 in pure Python, and a prefix-compiled form for Unleash bucketing.

Unleash hashes `"{groupId}:{stickinessValue}"` (UTF-8); the prefix is fixed per strategy, so its whole
4-byte blocks are mixed once at compile time and each evaluation hashes only the remaining bytes. The
loops are written out (no helper calls, constants inline) because this is the hot path of `is_enabled`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

MASK = 0xFFFFFFFF
_UNPACK = tuple(struct.Struct(f"<{n}I").unpack_from for n in range(32))


def _mix_blocks(h: int, data: bytes, end: int) -> int:
    for i in range(0, end, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * 0xCC9E2D51) & MASK
        k = ((k << 15) | (k >> 17)) & MASK
        h ^= (k * 0x1B873593) & MASK
        h = ((h << 13) | (h >> 19)) & MASK
        h = (h * 5 + 0xE6546B64) & MASK
    return h


def prefixed_hasher(prefix: str, seed: int = 0) -> Callable[[str], int]:
    """A function `value -> murmur3_32(prefix + value, seed)` with the prefix's blocks mixed once."""
    head = prefix.encode()
    done = len(head) & ~3

    def hash_value(
        value: str,
        carry: bytes = head[done:],
        start: int = _mix_blocks(seed & MASK, head, done),
        base: int = done,
        unpack: tuple[Callable[[bytes], tuple[int, ...]], ...] = _UNPACK,
    ) -> int:
        rest = carry + value.encode()
        n = len(rest)
        blocks = n >> 2
        h = start
        words = unpack[blocks](rest) if blocks < 32 else struct.unpack_from(f"<{blocks}I", rest)
        for k in words:
            k = (k * 0xCC9E2D51) & 0xFFFFFFFF
            k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
            h ^= (k * 0x1B873593) & 0xFFFFFFFF
            h = ((h << 13) | (h >> 19)) & 0xFFFFFFFF
            h = (h * 5 + 0xE6546B64) & 0xFFFFFFFF
        tail = n & 3
        if tail:
            k = int.from_bytes(rest[n - tail :], "little")
            k = (k * 0xCC9E2D51) & 0xFFFFFFFF
            k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
            h ^= (k * 0x1B873593) & 0xFFFFFFFF
        h ^= base + n
        h ^= h >> 16
        h = (h * 0x85EBCA6B) & 0xFFFFFFFF
        h ^= h >> 13
        h = (h * 0xC2B2AE35) & 0xFFFFFFFF
        return h ^ (h >> 16)

    return hash_value


def murmur3_32(data: bytes | str, seed: int = 0) -> int:
    """The unsigned 32-bit MurmurHash3 (x86) of `data`; a str is hashed as UTF-8."""
    return _bytes_hash(data.encode() if isinstance(data, str) else data, seed)


def _bytes_hash(data: bytes, seed: int) -> int:
    end = len(data) & ~3
    h = _mix_blocks(seed & MASK, data, end)
    tail = len(data) & 3
    if tail:
        k = int.from_bytes(data[end:], "little")
        k = (k * 0xCC9E2D51) & MASK
        k = ((k << 15) | (k >> 17)) & MASK
        h ^= (k * 0x1B873593) & MASK
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & MASK
    return h ^ (h >> 16)


def normalized_hash(identifier: str, group_id: str, normalizer: int = 100, seed: int = 0) -> int:
    """Unleash's bucket: murmur3_32("{group_id}:{identifier}", seed) % normalizer + 1, in 1..normalizer."""
    return murmur3_32(f"{group_id}:{identifier}", seed) % normalizer + 1
