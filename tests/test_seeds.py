from helpers.curate_rows import blob_sha, file_blobs, make_pr

from swe_corpus.seeds import SeedConfig, build_seed, dominant_language, needed_blobs, precheck

CFG = SeedConfig()
FILES = {
    "pkg/core.py": ("def f(x):\n    return x\n", "def f(x):\n    return x or 0\n"),
    "pkg/old.py": ("OLD = 1\n", None),
    "pkg/new.py": (None, "NEW = 1\n"),
    "tests/test_core.py": ("def test_f():\n    pass\n", "def test_f():\n    assert f(None) == 0\n"),
}
RELEVANT = {"pkg/util.py": "def helper():\n    return 1\n", "pkg/big.py": "x = 1\n" * 1000}


def test_precheck_reasons():
    assert precheck(make_pr(files=FILES), CFG)[0].kind == "bug"
    assert precheck(make_pr(files=FILES), CFG)[1] is None
    assert precheck(make_pr(issue_title=None), CFG)[1] == "no_linked_issue"
    q = make_pr(issue_title="How do I configure logging?", issue_body="Where is this documented?")
    assert precheck(q, CFG) == (("other", "question_title"), "not_bug_report")
    docs_only = make_pr(files={"README.md": ("Old\n", "New\n")}, languages={"README.md": "Markdown"})
    assert precheck(docs_only, CFG)[1] == "no_code_change"
    build_only = make_pr(files={"Makefile": ("a:\n", "b:\n")}, languages={"Makefile": "Makefile"})
    assert precheck(build_only, CFG)[1] == "no_code_change"  # one rule: languages.PROGRAMMING_LANGUAGES
    assert precheck(make_pr(files=FILES), SeedConfig(max_context_bytes=10))[1] == "context_too_large"


def test_build_seed_context_and_oracle():
    pr = make_pr(files=FILES, relevant=RELEVANT)
    texts = file_blobs(FILES, RELEVANT)
    contents = {blob_sha(t): t for t in texts.values()}
    assert set(needed_blobs(pr, CFG)) <= set(contents)
    assert blob_sha(FILES["tests/test_core.py"][0]) not in needed_blobs(pr, CFG)  # tests are not context
    seed, skip = build_seed(pr, contents, SeedConfig(max_context_bytes=200))
    assert skip is None
    ctx = {c["path"]: c["content"] for c in seed["code_context"]}
    # changed files at base first (added files have no base), then relevant files while they fit
    assert [c["path"] for c in seed["code_context"]] == ["pkg/core.py", "pkg/old.py", "pkg/util.py"]
    assert ctx["pkg/core.py"] == FILES["pkg/core.py"][0]
    oracle = {o["path"]: o["content"] for o in seed["oracle_files"]}
    assert oracle == {"pkg/core.py": FILES["pkg/core.py"][1], "pkg/old.py": "", "pkg/new.py": "NEW = 1\n"}
    assert seed["context_bytes"] == sum(len(c.encode()) for c in ctx.values()) <= 200
    assert seed["issue_numbers"] == [1001] and seed["language"] == "Python"
    assert seed["base_commit"] == pr["base_commit"] and seed["patch"] == pr["patch"]
    missing = dict(contents)
    del missing[blob_sha(FILES["pkg/core.py"][1])]
    assert build_seed(pr, missing, CFG) == (None, "missing_content")


def test_dominant_language():
    pr = make_pr(files={"a.go": ("", "x\ny\nz\n"), "b.py": ("", "x\n")}, languages={"a.go": "Go"})
    assert dominant_language(pr) == "Go"


def test_build_seed_rename_marks_the_old_path_deleted_in_the_oracle():
    before, after = "def f():\n    return 1\n", "def f():\n    return 2\n"
    pr = make_pr(files={"pkg/new_name.py": (before, after)})
    pr["changed_files"][0].update(status="renamed", old_path="pkg/old_name.py")
    seed, skip = build_seed(pr, {blob_sha(before): before, blob_sha(after): after}, CFG)
    assert skip is None
    assert seed["code_context"] == [{"path": "pkg/old_name.py", "content": before}]
    oracle = {o["path"]: o["content"] for o in seed["oracle_files"]}
    # like a deletion ('') plus an addition, so the old path counts as changed, not as relevant context
    assert oracle == {"pkg/old_name.py": "", "pkg/new_name.py": after}


def test_prose_and_lock_files_are_in_the_patch_but_never_context_or_budget():
    """Real fixes also edit changelogs (xarray's whats-new.rst, sympy's AUTHORS reach 377 KB) and lock
    files: the PR's diffs keep them, but the context, its budget and the oracle hold code only."""
    changelog = "".join(f"* {i}: {'fixed a thing in the parser, ' * 30}\n" for i in range(300))  # 280 KB
    files = {
        "pkg/core.py": FILES["pkg/core.py"],
        "CHANGES.rst": (changelog, "* fixed f(None)\n" + changelog),
        "package-lock.json": ("{}\n", '{"lockfileVersion": 3}\n'),
        "web/app.min.js": ("var a=1;\n", "var a=2;\n"),
        "docs/conf.py": ("version = '1.0'\n", "version = '1.1'\n"),  # code of the docs build: doc_patch
    }
    langs = {"CHANGES.rst": "reStructuredText", "package-lock.json": "JSON", "web/app.min.js": "JavaScript"}
    pr = make_pr(files=files, languages=langs)
    assert precheck(pr, CFG)[1] is None
    texts = file_blobs(files)
    seed, skip = build_seed(pr, {blob_sha(t): t for t in texts.values()}, CFG)
    assert skip is None
    assert [c["path"] for c in seed["code_context"]] == ["pkg/core.py"]
    assert [o["path"] for o in seed["oracle_files"]] == ["pkg/core.py"]
    assert "CHANGES.rst" in seed["patch"] and seed["context_bytes"] < 100
    prose_only = make_pr(files={"CHANGES.rst": files["CHANGES.rst"]}, languages=langs)
    assert precheck(prose_only, CFG)[1] == "no_code_change"
