"""Near-duplicate detection with MinHash LSH, and the pieces the Beam stage composes.

Document = problem statement + patch, tokenised into words, shingled into word n-grams. Signatures use
datasketch's "affine32" scheme (MurmurHash3 pre-mix, h -> a*h + b mod 2^32, permutations drawn by
``datasketch.MinHash(num_perm, seed)``), computed for a whole batch of documents at once with numpy: the
values equal ``datasketch.MinHash(hashfunc=shingle hash).update_batch`` (tested) at a fraction of the
per-document cost, and `lean_minhash` turns one into a ``datasketch.LeanMinHash``.

Defaults: 128 permutations, word 5-grams, 16 bands x 8 rows. The LSH S-curve 1-(1-s^8)^16 has its
threshold (1/b)^(1/r) = 0.707 (BigCode's 0.7 for code), gives a pair at Jaccard 0.8 a 95% chance to
become a candidate, at 0.5 only 6%; candidates are then verified on the estimated Jaccard >= 0.7 so
bucket collisions of dissimilar PRs do not merge clusters.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from swe_corpus.rejects import Rejection
from swe_corpus.stages import DEDUP

_TOKEN = re.compile(r"\w+", re.UNICODE)
_MASK32 = np.uint64(0xFFFFFFFF)


@dataclass
class DedupConfig:
    """MinHash/LSH parameters; bands * rows must equal num_perm."""

    num_perm: int = 128
    ngram: int = 5
    bands: int = 16
    rows: int = 8
    threshold: float = 0.7  # verified estimated Jaccard for an edge of the duplicate graph
    seed: int = 1
    max_doc_chars: int = 200_000  # longer documents are cut (the patch size filter runs before)

    def __post_init__(self):
        if self.bands * self.rows != self.num_perm:
            raise ValueError(f"bands*rows ({self.bands}*{self.rows}) must equal num_perm ({self.num_perm})")

    @property
    def lsh_threshold(self) -> float:
        """Jaccard at the steepest point of the banding S-curve, (1/b)^(1/r)."""
        return (1.0 / self.bands) ** (1.0 / self.rows)


def candidate_probability(jaccard: float, bands: int, rows: int) -> float:
    """Probability that two documents with this Jaccard share at least one band."""
    return 1.0 - (1.0 - jaccard**rows) ** bands


# --------------------------------------------------------------------------- documents and shingles
def dedup_document(pr: dict) -> str:
    """The text compared for near-duplicates: the problem statement, then the whole change but its tests
    (a docs-only follow-up of the same issue must not look like the code fix)."""
    return f"{pr.get('problem_statement') or ''}\n{pr.get('patch') or ''}{pr.get('doc_patch') or ''}"


def token_hashes(text: str) -> np.ndarray:
    """crc32 of every word token (deterministic across processes, unlike `hash`)."""
    tokens = _TOKEN.findall(text.lower())
    return np.fromiter(map(zlib.crc32, map(str.encode, tokens)), dtype=np.uint64, count=len(tokens))


def shingle_hashes(text: str, ngram: int) -> np.ndarray:
    """32-bit hashes of the word n-grams of `text` (one shingle of all tokens when shorter than n)."""
    tok = token_hashes(text)
    if len(tok) == 0:
        return np.zeros(0, dtype=np.uint32)
    n = min(ngram, len(tok))
    count = len(tok) - n + 1
    h = np.zeros(count, dtype=np.uint64)
    for j in range(n):  # polynomial rolling combination, vectorised over all windows
        h = (h * np.uint64(0x01000193) + tok[j : j + count]) & _MASK32
    return np.unique(h.astype(np.uint32))


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (datasketch's affine32 pre-mix)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


class MinHasher:
    """Batched MinHash signatures compatible with datasketch (affine32 scheme)."""

    EMPTY = np.uint32(0xFFFFFFFF)

    def __init__(self, num_perm: int = 128, seed: int = 1, ngram: int = 5):
        from datasketch import MinHash

        self.num_perm, self.seed, self.ngram = num_perm, seed, ngram
        ref = MinHash(num_perm=num_perm, seed=seed, scheme="affine32")
        self.a, self.b = (np.asarray(x, dtype=np.uint32) for x in ref.permutations)

    def signatures_from_shingles(self, shingles: Sequence[np.ndarray]) -> np.ndarray:
        """One row of `num_perm` uint32 minima per shingle array (all-max rows for empty documents).

        Loops over permutations, not shingles: each step is one cache-sized vector op over every shingle
        of the batch plus one `minimum.reduceat` by document, ~30x faster than broadcasting a
        (shingles x permutations) matrix through memory.
        """
        out = np.full((len(shingles), self.num_perm), self.EMPTY, dtype=np.uint32)
        lengths = np.array([len(s) for s in shingles], dtype=np.int64)
        nonempty = np.flatnonzero(lengths)
        if len(nonempty) == 0:
            return out
        flat = _fmix32(np.concatenate([shingles[i] for i in nonempty]).astype(np.uint32))
        starts = np.concatenate([[0], np.cumsum(lengths[nonempty])[:-1]])
        buf = np.empty_like(flat)
        mins = np.empty((len(nonempty), self.num_perm), dtype=np.uint32)
        with np.errstate(over="ignore"):
            for j in range(self.num_perm):
                np.multiply(flat, self.a[j], out=buf)
                buf += self.b[j]
                mins[:, j] = np.minimum.reduceat(buf, starts)
        out[nonempty] = mins
        return out

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        return self.signatures_from_shingles([shingle_hashes(t, self.ngram) for t in texts])


def lean_minhash(signature: np.ndarray, seed: int = 1):
    """A datasketch LeanMinHash of a signature row (for MinHashLSH indexes and jaccard())."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=signature, scheme="affine32")


def estimated_jaccard(a: np.ndarray | bytes, b: np.ndarray | bytes) -> float:
    """Fraction of equal signature slots (datasketch's jaccard estimate)."""
    a = np.frombuffer(a, dtype=np.uint32) if isinstance(a, bytes) else a
    b = np.frombuffer(b, dtype=np.uint32) if isinstance(b, bytes) else b
    return float(np.count_nonzero(a == b)) / len(a)


def band_keys(signature: np.ndarray, bands: int, rows: int) -> list[str]:
    """LSH bucket keys of a signature: 'band:digest of its rows'. Empty documents get no bucket."""
    if np.all(signature == MinHasher.EMPTY):
        return []
    raw = np.ascontiguousarray(signature, dtype=np.uint32).reshape(bands, rows)
    return [f"{i}:{hashlib.blake2b(raw[i].tobytes(), digest_size=10).hexdigest()}" for i in range(bands)]


def patch_fingerprint(pr: dict) -> str | None:
    """Exact-duplicate key: sha1 of the change but its tests (patch + doc_patch) with blob-id `index` lines
    dropped (None for empty changes)."""
    change = (pr.get("patch") or "") + (pr.get("doc_patch") or "")
    text = "\n".join(ln for ln in change.splitlines() if not ln.startswith("index ")).strip()
    return hashlib.sha1(text.encode("utf-8", "replace")).hexdigest() if text else None


# --------------------------------------------------------------------------- clustering
def representative_key(pr: dict) -> tuple[str, str]:
    """Sort key whose minimum is a cluster's representative: the earliest PR (the original fix, not the
    later cherry-picks), ties broken by instance_id. Independent of shard order by construction."""
    created = pr.get("created_at")
    created_s = created.isoformat() if hasattr(created, "isoformat") else str(created or "~")
    return (created_s, pr["instance_id"])


MAX_BUCKET_COMPARISONS = 1_000


def bucket_edges(
    members: Iterable[tuple], threshold: float | None = None, max_comparisons: int = MAX_BUCKET_COMPARISONS
) -> list[tuple[Hashable, Hashable, float]]:
    """Edges (earlier key, later key, estimated Jaccard) that connect what one bucket's verified pairs do.

    members: (key, signature bytes or None). In key order, each member is compared with the earlier
    members and linked to the earliest passing `threshold` in every component it is not yet part of: a
    spanning forest of the bucket's verified pairs, at most n-1 edges, deterministic. A star to the
    bucket's minimum A missed B~C whenever A~B but not A~C. Without `threshold` (identical patches)
    every pair passes, which gives the star.

    Cap: a member is compared with at most `max_comparisons` earlier members (the earliest ones), so a
    bucket of n members costs O(n * cap) signature comparisons. Buckets that large are thousands of
    copies of one template or patch, whose earliest members are their core; a pair missed past the cap
    can still meet in the other bands.
    """
    items = sorted(dict(members).items(), key=lambda m: m[0])
    if len(items) < 2:
        return []
    keys = [k for k, _ in items]
    if threshold is None or any(sig is None for _, sig in items):
        return [(keys[0], k, 1.0) for k in keys[1:]]
    sigs = [np.frombuffer(sig, dtype=np.uint32) for _, sig in items]
    if len(items) > 32:
        return _bucket_edges_vectorised(keys, np.stack(sigs), threshold, max_comparisons)
    uf, edges = UnionFind(), []
    for i in range(1, len(keys)):
        for j in range(min(i, max_comparisons)):
            if uf.find(j) != uf.find(i) and (sim := estimated_jaccard(sigs[i], sigs[j])) >= threshold:
                edges.append((keys[j], keys[i], sim))
                uf.union(j, i)
    return edges


def _bucket_edges_vectorised(keys: list, sigs: np.ndarray, threshold: float, max_comparisons: int) -> list:
    """`bucket_edges` for large buckets: one vector comparison per member against its earlier members,
    union by size over component member lists (the loop's per-pair finds would be O(n * cap) in Python).
    While the bucket is one component (thousands of copies of one text) a member compares with member 0
    only."""
    labels = np.arange(len(keys))  # component label of each member
    parts: dict[int, list[int]] = {}  # label -> members, for components of more than one member
    edges = []
    for i in range(1, len(keys)):
        first_part = parts.get(int(labels[0]), [0])
        if len(first_part) == i and (sim := estimated_jaccard(sigs[i], sigs[0])) >= threshold:
            edges.append((keys[0], keys[i], sim))  # one component so far: member 0 is its earliest
            first_part.append(i)
            parts[int(labels[0])] = first_part
            labels[i] = labels[0]
            continue
        sims = np.count_nonzero(sigs[: min(i, max_comparisons)] == sigs[i], axis=1) / sigs.shape[1]
        passing = np.flatnonzero(sims >= threshold)
        if not len(passing):
            continue
        comps, first = np.unique(labels[passing], return_index=True)  # earliest passing per component
        edges += [(keys[j], keys[i], float(sims[j])) for j in sorted(passing[first].tolist())]
        comps = [int(c) for c in comps]  # merge them and i into the largest: O(n log n) relabels
        target = max(comps, key=lambda c: len(parts.get(c, ())))
        merged = parts.setdefault(target, [target])
        for c in comps:
            if c != target:
                moved = parts.pop(c, [c])
                labels[moved] = target
                merged += moved
        labels[i] = target
        merged.append(i)
    return edges


class UnionFind:
    """Union-find with path halving; the root of every set is its minimum element."""

    def __init__(self):
        self.parent: dict[Hashable, Hashable] = {}

    def find(self, x):
        parent = self.parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a, b) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            lo, hi = (ra, rb) if ra < rb else (rb, ra)
            self.parent[hi] = lo


def connected_components(edges: Iterable[tuple]) -> dict[Hashable, tuple[Hashable, int]]:
    """node -> (component minimum, component size) for every node that has an edge."""
    uf = UnionFind()
    for a, b, *_ in edges:
        uf.union(a, b)
    roots = {node: uf.find(node) for node in list(uf.parent)}
    sizes: dict[Hashable, int] = {}
    for r in roots.values():
        sizes[r] = sizes.get(r, 0) + 1
    return {node: (r, sizes[r]) for node, r in roots.items()}


# --------------------------------------------------------------------------- the decision
def node_of(pr: dict) -> tuple[str, str, str]:
    """Graph node of a PR: (created_at, instance_id, patch fingerprint); the min node represents a cluster."""
    return (*representative_key(pr), patch_fingerprint(pr) or "")


def choose_instance(rows: list[dict]) -> tuple[dict | None, list[Rejection]]:
    """The one row kept of the rows sharing an instance_id (the same PR twice in the input), and a
    `duplicate_instance_id` Rejection for each other copy."""
    rows = sorted(rows, key=lambda p: (str(p.get("head_sha")), str(p.get("merge_commit_sha"))))
    if not rows:
        return None, []
    detail = f"{rows[0]['instance_id']} appears {len(rows)} times in the input"
    return rows[0], [Rejection(DEDUP, "duplicate_instance_id", detail).of(extra) for extra in rows[1:]]


def duplicate_rejection(pr: dict, clusters: Iterable[tuple]) -> tuple[Rejection | None, int]:
    """(why `pr` is not its cluster's representative, None when it is; the cluster's size). `clusters`:
    the (representative node, size) `connected_components` gave the PR, none when it has no duplicate.
    The same change but its tests is an `exact_duplicate`, any other a `near_duplicate`."""
    me = node_of(pr)  # hashes the whole patch: once
    root, size = min(clusters, default=(me, 1))
    if root[1] == pr["instance_id"]:
        return None, size
    reason = "exact_duplicate" if me[2] and me[2] == root[2] else "near_duplicate"
    return Rejection(DEDUP, reason, f"duplicate of {root[1]} (cluster of {size})").of(pr), size
