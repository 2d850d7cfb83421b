"""Extraction on a real repository with every kind of change, compared with `git diff` / `git show`."""

from __future__ import annotations

from pathlib import Path

import pytest
import unidiff
from test_git_helpers import RepoBuilder, git_out

from swe_corpus.extract import ExtractConfig, ExtractError, ExtractLimits, extract_pr, extract_repo, log_range
from swe_corpus.git_mirror import GitMirror, MirrorConfig
from swe_corpus.git_repo import GitError, GitRepo
from swe_corpus.languages import is_doc_path, is_test_path, language_of

REPO = "acme/widgets"
LIMITS = ExtractLimits(max_file_bytes=4000)
GITHUB = {"GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com"}


def pr_row(number: int, base: str | None, head: str | None, merge: str | None, **extra) -> dict:
    row = {
        "instance_id": f"acme__widgets-{number}",
        "repo": REPO,
        "number": number,
        "title": f"PR {number}",
        "body": "",
        "base_sha": base,
        "head_sha": head,
        "merge_commit_sha": merge,
        "merged": True,
        "linked_issues": [],
    }
    row.update(extra)
    return row


def build_world(root: Path) -> dict:
    """Upstream with a merge-commit PR (every file kind), squash, rebase, fork-only PR; bare copy served."""
    b = RepoBuilder(root / "work")
    b.write("src/pkg/core.py", "from pkg.helpers import helper\n\n\ndef core():\n    return helper()\n")
    b.write("src/pkg/helpers.py", "def helper():\n    return 1\n")
    b.write("src/pkg/old_name.py", "".join(f"line {i}\n" for i in range(30)))
    b.write("tests/test_core.py", "from pkg.core import core\n\n\ndef test_core():\n    assert core() == 1\n")
    b.write("docs/obsolete.md", "# gone soon\n")
    b.write("data.bin", bytes(range(256)) * 4)
    b.write("latin1.txt", "caf\xe9 cr\xe8me\n".encode("latin-1"))
    b.write("big.txt", "x" * 5000 + "\n")
    b.symlink("link", "src/pkg/core.py")
    b.gitlink("vendor/lib", "1" * 40)
    root_commit = b.commit("initial")

    # PR 1: true merge commit touching every kind of file
    b.git("checkout", "-q", "-b", "feature1")
    b.write("src/pkg/core.py", "from pkg.helpers import helper\n\n\ndef core():\n    return helper() + 1\n")
    b.write("tests/test_new.py", "def test_new():\n    assert True\n")
    b.git("mv", "src/pkg/old_name.py", "src/pkg/new_name.py")
    b.write("src/pkg/new_name.py", "".join(f"line {i}\n" for i in range(30)) + "line 30\n")
    b.git("rm", "-q", "docs/obsolete.md")
    b.write("data.bin", bytes(range(255, -1, -1)) * 4)
    b.write("latin1.txt", "caf\xe9 cr\xe8me br\xfbl\xe9e\n".encode("latin-1"))
    b.write("big.txt", "y" * 5000 + "\n")
    b.symlink("link", "src/pkg/helpers.py")
    b.gitlink("vendor/lib", "2" * 40)
    b.commit("Rework core\n\nFixes #7")
    b.write("src/pkg/core.py", "from pkg.helpers import helper\n\n\ndef core():\n    return helper() + 2\n")
    head1 = b.commit("second commit of PR 1")
    b.git("checkout", "-q", "main")
    b.write("README.md", "# widgets\n")  # main moves on while the PR is open
    base1 = b.commit("readme on main")
    b.git("merge", "-q", "--no-ff", "-m", "Merge pull request #1", "feature1", env=b.tick())
    merge1 = b.head()

    # PR 2: squash merge; the PR branch is gone from the server
    b.git("checkout", "-q", "-b", "feature2")
    b.write("src/pkg/helpers.py", "def helper():\n    return 2\n")
    b.commit("helper two")
    b.write("tests/test_helpers.py", "def test_helper():\n    pass\n")
    head2 = b.commit("test helper")
    b.git("checkout", "-q", "main")
    base2 = b.head()
    b.git("merge", "-q", "--squash", "feature2", env=b.tick())
    merge2 = b.commit("Squashed PR (#2)", env=GITHUB)
    b.git("branch", "-q", "-D", "feature2")

    # PR 3: rebase merge; GitHub re-commits each commit with the same committer and time
    b.git("checkout", "-q", "-b", "feature3", base2)
    b.write("src/pkg/core.py", "from pkg.helpers import helper\n\n\ndef core():\n    return helper() * 3\n")
    c1 = b.commit("triple")
    b.write("src/pkg/extra.py", "X = 3\n")
    c2 = b.commit("extra")
    head3 = c2
    b.git("checkout", "-q", "main")
    b.write("CHANGELOG.md", "- unrelated\n")
    base3 = b.commit("changelog")
    stamp = {**b.tick(), **GITHUB}
    for c in (c1, c2):
        b.git("cherry-pick", "--allow-empty", c, env=stamp)
    merge3 = b.head()
    b.git("branch", "-q", "-D", "feature3")

    # PR 8: the PR branch merged main into itself; the log has two boundary commits (merge-base fallback)
    b.git("checkout", "-q", "-b", "feature8", base2)
    b.write("src/pkg/eight.py", "EIGHT = 1\n")
    b.commit("eight one")
    b.git("merge", "-q", "--no-ff", "-m", "Merge main into feature8", "main", env=b.tick())
    b.write("src/pkg/eight.py", "EIGHT = 2\n")
    head8 = b.commit("eight two")
    b.git("checkout", "-q", "main")
    b.write("NEWS.md", "news\n")
    base8 = b.commit("news on main")

    # PR 4: from a fork; its commit lives only under refs/pull/4/head on the server
    b.git("checkout", "-q", "-b", "fork-work")
    b.write("src/pkg/fork.py", "FORK = True\n")
    head4 = b.commit("fork change")
    b.git("checkout", "-q", "main")
    bare = b.publish(root / "serve" / f"{REPO}.git")
    git_out(bare, "update-ref", "refs/pull/4/head", head4)
    git_out(bare, "branch", "-D", "fork-work")
    git_out(bare, "gc", "-q", "--prune=now")  # drop the unreferenced squash/rebase branches
    return {
        "root": root,
        "bare": bare,
        "root_commit": root_commit,
        "prs": {
            1: pr_row(1, base1, head1, merge1),
            2: pr_row(2, base2, head2, merge2),
            3: pr_row(3, base3, head3, merge3),
            4: pr_row(4, base2, head4, None),
            5: pr_row(5, "a" * 40, "b" * 40, "c" * 40),
            8: pr_row(8, base8, head8, None),
        },
        "expect": {
            1: (base1, head1),
            2: (base2, merge2),
            3: (base3, merge3),
            4: (base2, head4),
            8: (base8, head8),
        },
    }


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
