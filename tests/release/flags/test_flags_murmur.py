"""MurmurHash3 x86_32: vectors computed with `mmh3` 5.3.1 (bench/.work/venv-peers), recorded as literals."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from secloop.release.flags.model import VARIANT_SEED
from secloop.release.flags.murmur import murmur3_32, normalized_hash, prefixed_hasher

# (text, seed, mmh3.hash(text, seed, signed=False))
VECTORS = [
    ("", 0, 0),
    ("", 1, 1364076727),
    ("a", 0, 1009084850),
    ("abc", 0, 3017643002),
    ("abcd", 0, 1139631978),
    ("Hello, world!", 0, 3224780355),
    ("new-checkout:user-1", 0, 2230340631),
    ("new-checkout:user-1", VARIANT_SEED, 1304462755),
    ("group:123", VARIANT_SEED, 4141715005),
    ("gruppe:Jürgen", 0, 2856406326),
    ("flag:🙂", 0, 3790356973),
    ("g:🙂", VARIANT_SEED, 2810654575),
    ("The quick brown fox jumps over the lazy dog", 2538058380, 799549133),
]


def test_known_vectors() -> None:
    for text, seed, expected in VECTORS:
        assert murmur3_32(text, seed) == expected, (text, seed)
        assert murmur3_32(text.encode(), seed) == expected


def test_negative_signed_hash_is_read_as_unsigned() -> None:
    # mmh3.hash("new-checkout:user-1") signed is -2064626665; Unleash buckets the unsigned value
    assert murmur3_32("new-checkout:user-1") == -2064626665 + 2**32
    assert normalized_hash("user-1", "new-checkout") == (-2064626665 + 2**32) % 100 + 1 == 32


def test_prefixed_hasher_matches_whole_hash_at_every_alignment() -> None:
    for text, seed, expected in VECTORS:
        for cut in range(len(text) + 1):
            assert prefixed_hasher(text[:cut], seed)(text[cut:]) == expected, (text, cut)


@given(st.text(max_size=60), st.text(max_size=140), st.integers(0, 2**32 - 1))
def test_prefixed_equals_plain(prefix: str, value: str, seed: int) -> None:
    assert prefixed_hasher(prefix, seed)(value) == murmur3_32(prefix + value, seed)


def test_normalized_hash_range_and_boundaries() -> None:
    # ids found with mmh3 whose bucket is exactly 1, 25, 26 and 100 in group "new-checkout"
    assert normalized_hash("user-29", "new-checkout") == 1
    assert normalized_hash("user-24", "new-checkout") == 25
    assert normalized_hash("user-67", "new-checkout") == 26
    assert normalized_hash("user-119", "new-checkout") == 100
    assert normalized_hash("user-1", "new-checkout", 1000, VARIANT_SEED) == 1304462755 % 1000 + 1
