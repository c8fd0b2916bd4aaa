"""Near-identical submissions found and grouped: the same letter sent by many people through a
campaign, with a sentence added, words swapped, a greeting changed.

A text is compared as the set of its word shingles (``shingle_words`` consecutive words of
chalicelib.text.matching), less the shingles of the consultation's own texts: two unrelated
comments that quote the same long passage are not copies of each other. Two texts are *near*
when the Jaccard similarity of their sets is at least ``threshold``; a group is a connected set
of near texts (a campaign's members differ from each other more than from its template).
Settings: limits.json ``campaigns``.

MinHash and locality-sensitive hashing (datasketch) give the candidates, and every candidate is
checked exactly on the sets, so a group never holds a pair the hashing merely guessed. Only one
member of a found group (the first) and texts that matched nothing are indexed: a campaign of
2,000 copies is a handful of index entries, and grouping stays near linear in the texts.

This module imports numpy (through datasketch): only the grouping step imports it, never the
API (its import budget).
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from datasketch import MinHash, MinHashLSH

from chalicelib import text
from chalicelib.spec import limits


@dataclass(frozen=True)
class Doc:
    """One submission as grouping sees it: ``order`` sorts members (its creation, then id);
    ``print``: its exact fingerprint from the intake (chalicelib.text.fingerprint), if any."""

    id: str
    order: str
    body: str
    print: str | None = None


CLOSE = 0.8  # a member this near an indexed one adds nothing to the index
REPRESENTATIVES = 16  # indexed members per group at most: queries stay short in a campaign


@dataclass(frozen=True)
class Settings:
    shingle_words: int
    threshold: float
    num_perm: int

    @classmethod
    def from_limits(cls) -> Settings:
        spec = limits()["campaigns"]
        return cls(int(spec["shingle_words"]), float(spec["threshold"]), int(spec["num_perm"]))


def shingles(value: str, size: int) -> set[int]:
    """The word shingles of ``value`` (its ``matching`` form), each as a 32-bit number that is
    the same in every process (a tuple of ints hashes the same everywhere; a ``str`` does not);
    a text shorter than one shingle is its one shingle."""
    words = [_word(w) for w in text.matching(value).split()]
    if len(words) <= size:
        return {hash(tuple(words)) & _MASK} if words else set()
    tuples = zip(*(words[i:] for i in range(size)), strict=False)  # the last ones run short
    return {h & _MASK for h in map(hash, tuples)}


_MASK = 0xFFFFFFFF


@functools.lru_cache(maxsize=65536)
def _word(word: str) -> int:
    return zlib.crc32(word.encode())


def jaccard(a: set[int], b: set[int]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


class _Components:
    """Union-find over the documents' positions."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, n: int) -> int:
        root = n
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[n] != root:
            self.parent[n], n = root, self.parent[n]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def group(
    docs: Sequence[Doc], quoted: Iterable[str] = (), settings: Settings | None = None
) -> list[list[str]]:
    """The groups of two or more near-identical ``docs`` (ids, each group in ``order``; groups
    in the order of their first member). ``quoted``: the texts they comment on (their shingles
    never make two documents near)."""
    cfg = settings or Settings.from_limits()
    ordered = sorted(docs, key=lambda d: (d.order, d.id))
    common: set[int] = set()
    for passage in quoted:
        common |= shingles(passage, cfg.shingle_words)
    found = _Components(len(ordered))
    printed: dict[str, int] = {}
    exact: dict[frozenset[int], int] = {}
    lsh = MinHashLSH(threshold=cfg.threshold, num_perm=cfg.num_perm)
    indexed: dict[int, set[int]] = {}
    shown: dict[int, int] = {}  # group root → its members in the index
    blank = MinHash(num_perm=cfg.num_perm, hashfunc=int)  # shingles are already numbers
    for n, doc in enumerate(ordered):
        if doc.print is not None:  # an exact copy by the intake's fingerprint: nothing to compare
            if doc.print in printed:
                found.union(printed[doc.print], n)
                continue
            printed[doc.print] = n
        shingle_set = shingles(doc.body, cfg.shingle_words) - common
        if not shingle_set:  # nothing of its own (empty, or only a quotation): never grouped
            continue
        key = frozenset(shingle_set)
        if key in exact:  # an exact copy (once the quotations are left out)
            found.union(exact[key], n)
            continue
        exact[key] = n
        signature = blank.copy()  # its permutations drawn once, not per text
        signature.update_batch(shingle_set)
        best = 0.0
        for candidate in lsh.query(signature):
            similarity = jaccard(shingle_set, indexed[candidate])
            if similarity >= cfg.threshold:
                found.union(candidate, n)
                best = max(best, similarity)
        root = found.find(n)
        # A new text, or a member unlike those indexed (its group's later members may be near
        # it only, and LSH can miss one pair): indexed, up to REPRESENTATIVES per group.
        if best < CLOSE and shown.get(root, 0) < REPRESENTATIVES:
            lsh.insert(n, signature)
            indexed[n] = shingle_set
            shown[root] = shown.get(root, 0) + 1
    members: dict[int, list[str]] = {}
    for n, doc in enumerate(ordered):
        members.setdefault(found.find(n), []).append(doc.id)
    return [ids for _, ids in sorted(members.items()) if len(ids) > 1]


def quality(found: Iterable[Iterable[str]], truth: dict[str, Any]) -> tuple[float, float]:
    """Pairwise precision and recall of ``found`` groups against ``truth`` (id → the label of
    its campaign, None for a text of its own): the bench's measure."""

    def pairs(n: int) -> int:
        return n * (n - 1) // 2

    found_pairs = true_found = 0
    for members in found:
        listed = list(members)
        found_pairs += pairs(len(listed))
        labels: dict[Any, int] = {}
        for member in listed:
            label = truth.get(member)
            if label is not None:
                labels[label] = labels.get(label, 0) + 1
        true_found += sum(pairs(c) for c in labels.values())
    sizes: dict[Any, int] = {}
    for label in truth.values():
        if label is not None:
            sizes[label] = sizes.get(label, 0) + 1
    true_pairs = sum(pairs(c) for c in sizes.values())
    precision = true_found / found_pairs if found_pairs else 1.0
    recall = true_found / true_pairs if true_pairs else 1.0
    return precision, recall
