"""Extraction on a real repository with every kind of change, compared with `git diff` / `git show`."""

from __future__ import annotations

from pathlib import Path

import pytest
import unidiff
from helpers.extract_world import LIMITS, REPO, build_world, pr_row
from helpers.git import git_out

from swe_corpus.extract import ExtractConfig, ExtractError, ExtractLimits, extract_pr, extract_repo, log_range
from swe_corpus.git_mirror import GitMirror, MirrorConfig
from swe_corpus.git_repo import GitError, GitRepo
from swe_corpus.languages import is_doc_path, is_test_path, language_of


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = build_world(tmp_path_factory.mktemp("extract"))
    cfg = MirrorConfig(
        cache_dir=str(w["root"] / "cache"), url_template=f"file://{w['root']}/serve/{{repo}}.git"
    )
    w["mirror_config"] = cfg
    w["mirror"] = GitMirror(cfg).ensure(REPO)
    return w


@pytest.fixture(scope="module")
def extracted(world):
    with GitRepo(world["mirror"]) as repo:
        return {n: extract_pr(repo, pr, LIMITS) for n, pr in world["prs"].items() if n != 5}


def diff_text(bare: Path, base: str, head: str, paths: list[str]) -> str:
    if not paths:
        return ""
    out = git_out(bare, "diff", "--no-color", "--no-ext-diff", "-M", base, head, "--", *paths)
    return out.decode("utf-8", "replace")


@pytest.mark.parametrize("number", [1, 2, 3, 4, 8])
def test_patch_and_contents_equal_git(world, extracted, number):
    ext = extracted[number]
    cols = ext.columns
    base, head = world["expect"][number]
    assert cols["base_commit"] == git_out(world["bare"], "merge-base", base, head).decode().strip()
    files = cols["changed_files"]
    doc = {f["path"] for f in files if is_doc_path(f["path"])}
    test_paths = [p for f in files if f["is_test"] for p in (f["path"], f["old_path"]) if p]
    doc_paths = [p for f in files if f["path"] in doc for p in (f["path"], f["old_path"]) if p]
    fix_paths = [
        p for f in files if not f["is_test"] and f["path"] not in doc for p in (f["path"], f["old_path"]) if p
    ]
    assert cols["test_patch"] == diff_text(world["bare"], base, head, test_paths)
    assert cols["doc_patch"] == diff_text(world["bare"], base, head, doc_paths)
    assert cols["patch"] == diff_text(world["bare"], base, head, fix_paths)
    for f in files:
        assert f["is_test"] == is_test_path(f["path"]) and f["language"] == language_of(f["path"])
        if f["content_omitted"] is None and f["before_blob"]:
            shown = git_out(world["bare"], "show", f"{cols['base_commit']}:{f['old_path'] or f['path']}")
            assert ext.blobs[f["before_blob"]] == shown.decode()
        if f["content_omitted"] is None and f["after_blob"]:
            assert (
                ext.blobs[f["after_blob"]] == git_out(world["bare"], "show", f"{head}:{f['path']}").decode()
            )
    for text in (cols["patch"], cols["test_patch"], cols["doc_patch"]):
        unidiff.PatchSet(text)  # parses
    if number == 1:
        assert doc == {"docs/obsolete.md"} and "docs/obsolete.md" not in cols["patch"]


def test_every_kind_of_change_in_merge_commit_pr(extracted):
    cols = extracted[1].columns
    assert cols["extraction_method"] == "merge_base"
    by_path = {f["path"]: f for f in cols["changed_files"]}
    assert by_path["src/pkg/new_name.py"]["status"] == "renamed"
    assert by_path["src/pkg/new_name.py"]["old_path"] == "src/pkg/old_name.py"
    assert by_path["src/pkg/new_name.py"]["additions"] == 1
    assert (
        by_path["docs/obsolete.md"]["status"] == "deleted"
        and by_path["docs/obsolete.md"]["after_blob"] is None
    )
    assert by_path["tests/test_new.py"]["status"] == "added" and by_path["tests/test_new.py"]["is_test"]
    assert by_path["data.bin"]["binary"] and by_path["data.bin"]["content_omitted"] == "binary"
    assert by_path["latin1.txt"]["content_omitted"] == "undecodable"
    assert by_path["big.txt"]["content_omitted"] == "oversized" and by_path["big.txt"]["after_size"] == 5001
    assert by_path["link"]["content_omitted"] == "symlink"
    assert by_path["vendor/lib"]["content_omitted"] == "submodule"
    assert by_path["src/pkg/core.py"]["additions"] == 1 and by_path["src/pkg/core.py"]["deletions"] == 1
    omitted = {f["before_blob"] for f in cols["changed_files"] if f["content_omitted"]}
    assert not omitted & set(extracted[1].blobs)  # binary/oversized/... never stored
    assert extracted[1].counts["undecodable_files"] == 2 and extracted[1].counts["oversized_files"] == 2
    assert [c["message"] for c in cols["commits"]] == ["Rework core\n\nFixes #7", "second commit of PR 1"]
    assert "tests/test_new.py" in cols["test_patch"] and "tests/test_new.py" not in cols["patch"]


def test_fallbacks_squash_rebase_and_fork(world, extracted):
    assert extracted[2].columns["extraction_method"] == "merge_commit_first_parent"
    assert [c["message"] for c in extracted[2].columns["commits"]] == ["Squashed PR (#2)"]
    assert extracted[3].columns["extraction_method"] == "pr_commits"
    assert [c["message"] for c in extracted[3].columns["commits"]] == ["triple", "extra"]
    assert extracted[4].columns["extraction_method"] == "merge_base"  # via refs/pull/4/head
    eight = extracted[8].columns  # base_commit checked against git merge-base in the parametrized test
    assert [c["message"] for c in eight["commits"]] == ["eight one", "Merge main into feature8", "eight two"]
    assert [f["path"] for f in eight["changed_files"]] == ["src/pkg/eight.py"]


def test_unreachable_and_limits(world):
    with GitRepo(world["mirror"]) as repo:
        assert len(log_range(repo, world["prs"][8]["head_sha"], world["prs"][8]["base_sha"])[1]) == 2
        with pytest.raises(ExtractError) as e:
            extract_pr(repo, world["prs"][5], LIMITS)
        assert e.value.reason == "commits_unreachable"
        with pytest.raises(ExtractError) as e:
            extract_pr(repo, world["prs"][1], ExtractLimits(max_files_per_pr=3))
        assert e.value.reason == "too_many_files"


def test_extract_repo_routes_rows_blobs_and_rejections(world):
    cfg = ExtractConfig(mirror=world["mirror_config"], limits=LIMITS, relevant="local")
    out = list(extract_repo(REPO, list(world["prs"].values()), cfg))
    prs = [r for kind, r in out if kind == "pull_requests"]
    rejected = [r for kind, r in out if kind == "rejected"]
    blobs = [r["blob_sha"] for kind, r in out if kind == "blobs"]
    assert len(prs) == 5 and [r.reason for r in rejected] == ["commits_unreachable"]
    assert len(blobs) == len(set(blobs))
    pr1 = next(r for r in prs if r["number"] == 1)
    assert pr1["relevant_predictor"] == "local"
    # helpers.py is imported by the changed core.py; tests/test_core.py is its test pair
    relevant = {r["path"]: r for r in pr1["relevant_files"]}
    assert (
        "src/pkg/helpers.py" in relevant
        and "imported by src/pkg/core.py" in relevant["src/pkg/helpers.py"]["reason"]
    )
    assert "tests/test_core.py" in relevant
    assert set(r["blob_sha"] for r in pr1["relevant_files"]) <= set(blobs)
    # root commits of the clone travel with every row, for fork/mirror decontamination
    roots = set(git_out(world["mirror"], "rev-list", "--max-parents=0", "--all").decode().split())
    assert roots and all(set(r["root_commits"]) == roots for r in prs)


def test_missing_repository_rejects_its_prs(world):
    cfg = ExtractConfig(mirror=world["mirror_config"], limits=LIMITS)
    rows = [pr_row(9, "a" * 40, "b" * 40, None, repo="acme/nothing-here", instance_id="acme__nothing-here-9")]
    out = list(extract_repo("acme/nothing-here", rows, cfg))
    assert [(k, r.reason) for k, r in out] == [("rejected", "repo_not_found")]


def test_merge_base_timeout_is_not_no_merge_base(world, monkeypatch):
    """PR 8 needs `git merge-base` (two boundary commits): a timeout there rejects it as git_timeout."""
    with GitRepo(world["mirror"]) as repo:
        assert repo.merge_base("a" * 40, world["prs"][8]["head_sha"]) is None  # git failed: no base
        run = repo.run

        def slow_merge_base(*args):
            if args[0] == "merge-base":
                raise GitError("git_timeout", "git merge-base exceeded 300s")
            return run(*args)

        monkeypatch.setattr(repo, "run", slow_merge_base)
        with pytest.raises(ExtractError) as e:
            extract_pr(repo, world["prs"][8], LIMITS)
        assert e.value.reason == "git_timeout"
