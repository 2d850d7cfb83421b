import itertools

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from swe_corpus.dedup import (
    DedupConfig,
    MinHasher,
    _bucket_edges_vectorised,
    band_keys,
    bucket_edges,
    candidate_probability,
    choose_instance,
    connected_components,
    duplicate_rejection,
    estimated_jaccard,
    lean_minhash,
    node_of,
    patch_fingerprint,
    shingle_hashes,
)

TEXT_A = " ".join(f"word{i}" for i in range(200))
TEXT_B = TEXT_A.replace("word150", "changed150")  # ~97% of 5-grams shared
TEXT_C = " ".join(f"other{i}" for i in range(200))


def test_batched_signatures_equal_datasketch():
    hasher = MinHasher(num_perm=64, seed=7, ngram=5)
    texts = [TEXT_A, "", "short text", TEXT_C]
    sigs = hasher.signatures(texts)
    for text, sig in zip(texts, sigs, strict=True):
        ref = MinHash(num_perm=64, seed=7, scheme="affine32", hashfunc=lambda x: x)
        ref.update_batch(shingle_hashes(text, 5).tolist())
        assert np.array_equal(ref.hashvalues, sig)
    assert lean_minhash(sigs[0], seed=7).jaccard(lean_minhash(sigs[0], seed=7)) == 1.0


def test_similar_documents_share_bands_and_dissimilar_do_not():
    c = DedupConfig()
    a, b, other = MinHasher(c.num_perm, c.seed, c.ngram).signatures([TEXT_A, TEXT_B, TEXT_C])
    assert estimated_jaccard(a, b) > 0.8 and estimated_jaccard(a, other) < 0.1
    ka, kb, kc = (set(band_keys(s, c.bands, c.rows)) for s in (a, b, other))
    assert len(ka) == 16 and ka & kb and not ka & kc
    assert band_keys(np.full(c.num_perm, MinHasher.EMPTY, dtype=np.uint32), c.bands, c.rows) == []
    # the band keys agree with datasketch's own LSH on the same signatures
    lsh = MinHashLSH(threshold=c.lsh_threshold, num_perm=c.num_perm)
    lsh.insert("a", lean_minhash(a))
    assert lsh.query(lean_minhash(b)) == ["a"] and lsh.query(lean_minhash(other)) == []


def test_default_parameters_sit_at_the_documented_threshold():
    c = DedupConfig()
    assert abs(c.lsh_threshold - 0.707) < 0.01
    assert candidate_probability(0.8, c.bands, c.rows) > 0.9
    assert candidate_probability(0.5, c.bands, c.rows) < 0.1


def test_bucket_edges_verify_and_components_chain():
    members = [(("2", "b"), None), (("1", "a"), None), (("3", "c"), None)]
    assert bucket_edges(members) == [(("1", "a"), ("2", "b"), 1.0), (("1", "a"), ("3", "c"), 1.0)]
    sig1 = np.arange(8, dtype=np.uint32).tobytes()
    sig2 = np.array([0, 1, 2, 3, 9, 9, 9, 9], dtype=np.uint32).tobytes()
    assert bucket_edges([("x", sig1), ("y", sig2)], threshold=0.7) == []  # a band collision, not a duplicate
    assert bucket_edges([("x", sig1), ("y", sig2)], threshold=0.5) == [("x", "y", 0.5)]
    # a chain a-b, b-c, c-d and a separate pair: two components, roots are the minimum nodes
    comps = connected_components([("b", "c"), ("c", "d"), ("a", "b"), ("y", "z")])
    assert comps == {"a": ("a", 4), "b": ("a", 4), "c": ("a", 4), "d": ("a", 4), "y": ("y", 2), "z": ("y", 2)}
    # order of edges does not change the result
    assert connected_components([("y", "z"), ("c", "d"), ("a", "b"), ("b", "c")]) == comps


def test_patch_fingerprint_ignores_blob_index_lines():
    p1 = "diff --git a/x b/x\nindex 111..222 100644\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    p2 = p1.replace("index 111..222", "index 333..444")
    assert patch_fingerprint({"patch": p1}) == patch_fingerprint({"patch": p2})
    assert patch_fingerprint({"patch": p1.replace("+b", "+c")}) != patch_fingerprint({"patch": p1})
    assert patch_fingerprint({"patch": ""}) is None


def chain_signatures() -> tuple[bytes, bytes, bytes]:
    """100 slots with J(A,B) = .94, J(B,C) = .76, J(A,C) = .70: B differs from A in 6 slots, C agrees with
    B there and with both on 70 of the other 94."""
    a = np.arange(100, dtype=np.uint32)
    b = a.copy()
    b[:6] += 1000
    c = b.copy()
    c[76:] += 2000
    assert [estimated_jaccard(x, y) for x, y in ((a, b), (b, c), (a, c))] == [0.94, 0.76, 0.70]
    return a.tobytes(), b.tobytes(), c.tobytes()


@pytest.mark.parametrize("order", ["ABC", "ACB", "CAB", "BCA"])
def test_bucket_edges_link_through_a_member_that_is_not_the_minimum(order):
    """B~C must join the cluster when the bucket's minimum A is close to B but not to C (threshold .72)."""
    sigs = dict(zip("ABC", chain_signatures(), strict=True))
    keys = dict(zip(order, ("1", "2", "3"), strict=True))  # sort position of each document
    members = [(keys[name], sig) for name, sig in sigs.items()]
    edges = bucket_edges(members, threshold=0.72)
    assert len(edges) == 2 and all(sim >= 0.72 for *_, sim in edges)
    assert connected_components(edges) == {"1": ("1", 3), "2": ("1", 3), "3": ("1", 3)}
    assert bucket_edges(members[::-1], threshold=0.72) == edges  # deterministic, whatever the input order
    assert bucket_edges(members, threshold=0.72, max_comparisons=1) == [
        e for e in edges if e[0] == "1"
    ]  # the cap: only the first member is compared


@pytest.mark.parametrize("n", [24, 60])  # the per-pair loop and the vectorised path (> 32 members)
def test_bucket_edges_span_the_verified_pairs(n):
    rng = np.random.default_rng(n)
    bases = rng.integers(0, 2**32, size=(3, 64), dtype=np.uint32)  # 3 families, members vary 0-40%
    sigs = []
    for _ in range(n):
        sig = bases[rng.integers(3)].copy()
        flip = rng.random(64) < rng.uniform(0, 0.4)
        sig[flip] = rng.integers(0, 2**32, size=int(flip.sum()), dtype=np.uint32)
        sigs.append(sig)
    members = [(f"{i:03d}", s.tobytes()) for i, s in enumerate(sigs)]
    edges = bucket_edges(members, threshold=0.7)
    pairs = [
        (a, b) for (a, x), (b, y) in itertools.combinations(members, 2) if estimated_jaccard(x, y) >= 0.7
    ]
    assert connected_components(edges) == connected_components(pairs)
    assert len(edges) == len(connected_components(pairs)) - len(
        {r for r, _ in connected_components(pairs).values()}
    )
    keys, stacked = [k for k, _ in members], np.stack(sigs)
    assert _bucket_edges_vectorised(keys, stacked, 0.7, 1_000) == edges  # both paths agree


def _pr(iid: str, created: str, patch: str = "diff\n+x\n", **extra) -> dict:
    return {"instance_id": iid, "created_at": created, "patch": patch, **extra}


def test_one_row_per_instance_id_the_others_rejected():
    rows = [_pr("o__r-1", "2024", head_sha="b"), _pr("o__r-1", "2024", head_sha="a")]
    kept, repeats = choose_instance(rows)
    assert kept["head_sha"] == "a" and [(r.stage, r.reason, r.instance_id) for r in repeats] == [
        ("dedup", "duplicate_instance_id", "o__r-1")
    ]
    assert repeats[0].detail == "o__r-1 appears 2 times in the input"
    assert choose_instance([]) == (None, [])


def test_exact_or_near_duplicate_of_the_representative():
    first, copy, near = (
        _pr("o__r-1", "2024-01"),
        _pr("o__r-2", "2024-02"),
        _pr("o__r-3", "2024-03", "diff\n+y\n"),
    )
    root = node_of(first)
    assert duplicate_rejection(first, [(root, 3)]) == (None, 3)
    assert duplicate_rejection(_pr("o__r-9", "2024"), []) == (None, 1)  # no cluster: its own representative
    exact, size = duplicate_rejection(copy, [(root, 3)])
    assert (exact.reason, exact.detail, exact.instance_id, size) == (
        "exact_duplicate",
        "duplicate of o__r-1 (cluster of 3)",
        "o__r-2",
        3,
    )
    assert duplicate_rejection(near, [(root, 3)])[0].reason == "near_duplicate"
