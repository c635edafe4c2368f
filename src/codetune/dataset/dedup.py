"""Exact and near-duplicate detection on normalised code, streaming and never quadratic.

Exact: the sha256 of the code with comments removed and whitespace collapsed. Near: MinHash over word
5-gram shingles (BigCode's recipe) indexed in a MinHash LSH (datasketch), so each new unit is compared
only with the few earlier units that share an LSH band, and a candidate is confirmed by its estimated
Jaccard similarity. The first unit seen (the pipeline feeds them in sorted file order) is kept.

datasketch is imported on first use, not with this module.
"""

from __future__ import annotations

import hashlib
import operator
import re
import zlib
from dataclasses import dataclass
from typing import Any

_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
_TOKENS = re.compile(r"\w+|[^\w\s]")
_WORDS = re.compile(r"\w+")


def strip_comments(code: str) -> str:
    """``code`` without ``//`` and ``/* */`` comments (string literals are not parsed: good enough for hashing).

    >>> strip_comments("int a; // note\\n/* block */ int b;")
    'int a; \\n int b;'
    """
    return _COMMENTS.sub("", code)


def normalize_code(code: str) -> str:
    """Comments removed, one space between tokens: formatting and comments do not make code different.

    >>> normalize_code("int  f( ) {\\n  return 1; // one\\n}")
    'int f ( ) { return 1 ; }'
    """
    return " ".join(_TOKENS.findall(strip_comments(code)))


def exact_key(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode("utf-8")).hexdigest()


def shingles(code: str, size: int = 5) -> set[str]:
    """Word ``size``-grams of the code without comments; one shingle for code shorter than ``size`` words.

    >>> sorted(shingles("a b c d e f", 5))
    ['a b c d e', 'b c d e f']
    >>> shingles("return x;", 5)
    {'return x'}
    """
    words = _WORDS.findall(strip_comments(code))
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def shingle_hashes(code: str, size: int = 5, *, stripped: bool = False) -> Any:
    """32-bit hashes of the word ``size``-grams of ``code`` (a numpy array, unique values, sorted).

    Each word is hashed once (crc32: deterministic across processes, unlike the salted ``hash()``) and
    the n-gram hash is a polynomial of its word hashes, computed for all n-grams at once with numpy.
    Equal shingle sets give equal arrays, and :func:`shingles` describes the same n-grams as strings.

    >>> len(shingle_hashes("a b c d e f")), len(shingle_hashes("a b c d e f a b c d e"))
    (2, 6)
    >>> len(shingle_hashes("// only a comment"))
    0
    """
    import numpy as np

    words = _WORDS.findall(code if stripped else strip_comments(code))
    if not words:
        return np.zeros(0, dtype=np.uint32)
    word_hashes = np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint64, count=len(words))
    if len(words) <= size:
        size = len(words)
    count = len(words) - size + 1
    combined = np.zeros(count, dtype=np.uint64)
    for offset in range(size):  # Horner's rule over the window, kept to 32 bits
        combined = (combined * np.uint64(1_000_003) + word_hashes[offset : offset + count]) & np.uint64(
            0xFFFFFFFF
        )
    return np.unique(combined.astype(np.uint32))


@dataclass(frozen=True)
class Duplicate:
    kind: str  # "exact_duplicate" | "near_duplicate"
    of: str  # key of the unit kept
    similarity: float = 1.0


class Deduplicator:
    """Feed units in a stable order with :meth:`check_and_add`; duplicates of earlier units are reported.

    Buckets keep granularities apart: a class with one method is not a duplicate of that method.
    """

    def __init__(self, threshold: float = 0.8, *, num_perm: int = 128, shingle_size: int = 5) -> None:
        from datasketch import MinHash

        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        # The permutations are drawn once (seeded, so deterministic) and shared by every MinHash.
        self._permutations = MinHash(num_perm=num_perm, seed=1).permutations
        self._exact: dict[tuple[str, str], str] = {}
        self._lsh: dict[str, Any] = {}
        self._sketches: dict[str, Any] = {}
        self.comparisons = 0  # Jaccard estimates made: grows with LSH candidates, not with units squared

    def _minhash(self, hashes: Any) -> Any:
        from datasketch import MinHash

        # Already hashed: the identity (a built-in, called once per shingle), then datasketch mixes them with fmix32.
        sketch = MinHash(
            num_perm=self.num_perm,
            hashfunc=operator.index,
            permutations=self._permutations,
            scheme="affine32",
        )
        sketch.update_batch(hashes.tolist())
        return sketch

    def _index(self, bucket: str) -> Any:
        if bucket not in self._lsh:
            from datasketch import MinHashLSH

            self._lsh[bucket] = MinHashLSH(threshold=self.threshold, num_perm=self.num_perm)
        return self._lsh[bucket]

    def check_and_add(self, key: str, code: str, bucket: str = "") -> Duplicate | None:
        """``None`` (and remember the unit) when ``code`` is new; otherwise which earlier unit it repeats."""
        code = strip_comments(code)
        exact = (bucket, hashlib.sha256(" ".join(_TOKENS.findall(code)).encode("utf-8")).hexdigest())
        if exact in self._exact:
            return Duplicate("exact_duplicate", self._exact[exact])
        hashes = shingle_hashes(code, self.shingle_size, stripped=True)
        self._exact[exact] = key
        if not len(hashes):
            return None
        sketch = self._minhash(hashes)
        index = self._index(bucket)
        best: Duplicate | None = None
        for candidate in sorted(index.query(sketch)):
            self.comparisons += 1
            similarity = float(sketch.jaccard(self._sketches[candidate]))
            if similarity >= self.threshold and (best is None or similarity > best.similarity):
                best = Duplicate("near_duplicate", candidate, similarity)
        if best is not None:
            del self._exact[exact]  # a dropped unit is not a reference for later ones
            return best
        index.insert(key, sketch)
        self._sketches[key] = sketch
        return None
