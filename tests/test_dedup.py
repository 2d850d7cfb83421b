import numpy as np
from datasketch import MinHash, MinHashLSH

from swe_corpus.dedup import (
    DedupConfig,
    MinHasher,
    band_keys,
    candidate_probability,
    connected_components,
    estimated_jaccard,
    lean_minhash,
    patch_fingerprint,
    shingle_hashes,
    star_edges,
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


def test_star_edges_verify_and_components_chain():
    members = [(("2", "b"), None), (("1", "a"), None), (("3", "c"), None)]
    assert star_edges(members) == [(("1", "a"), ("2", "b"), 1.0), (("1", "a"), ("3", "c"), 1.0)]
    sig1 = np.arange(8, dtype=np.uint32).tobytes()
    sig2 = np.array([0, 1, 2, 3, 9, 9, 9, 9], dtype=np.uint32).tobytes()
    assert star_edges([("x", sig1), ("y", sig2)], threshold=0.7) == []  # a band collision, not a duplicate
    assert star_edges([("x", sig1), ("y", sig2)], threshold=0.5) == [("x", "y", 0.5)]
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
