"""A real upstream repository with every kind of PR (merge commit, squash, rebase, fork only) and the
PULL_REQUESTS rows that point at it, for the extraction tests."""

from __future__ import annotations

from pathlib import Path

from helpers.git import RepoBuilder, git_out
from swe_corpus.extract import ExtractLimits

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
