"""The one diff module: git's patch framed per file, and unidiff's reading of hunks and changed lines."""

from swe_corpus.diffs import changed_lines, file_level_diffs, split_patch

PATCH = (
    "diff --git a/src/a.py b/src/a.py\n"
    "index 1111111..2222222 100644\n"
    "--- a/src/a.py\n"
    "+++ b/src/a.py\n"
    "@@ -1,3 +1,3 @@\n"
    " x = 1\n"
    "--- y = 2\n"  # a removed line that reads like a file header
    "+y = 3\n"
    " z = 4\n"
    "@@ -10,1 +10,2 @@\n"
    " w\n"
    "+diff --git inside a hunk\n"
    "diff --git a/old.py b/new.py\n"
    "similarity index 100%\n"
    "rename from old.py\n"
    "rename to new.py\n"
    "diff --git a/gone.txt b/gone.txt\n"
    "deleted file mode 100644\n"
    "index 3333333..0000000\n"
    "--- a/gone.txt\n"
    "+++ /dev/null\n"
    "@@ -1 +0,0 @@\n"
    "-bye\n"
    "diff --git a/logo.png b/logo.png\n"
    "Binary files a/logo.png and b/logo.png differ\n"
)


def test_git_patch_is_framed_per_file_at_header_lines_only():
    chunks = split_patch(PATCH.encode())
    assert [c.split(b"\n", 1)[0] for c in chunks] == [
        b"diff --git a/src/a.py b/src/a.py",
        b"diff --git a/old.py b/new.py",
        b"diff --git a/gone.txt b/gone.txt",
        b"diff --git a/logo.png b/logo.png",
    ]
    assert b"".join(chunks) == PATCH.encode() and split_patch(b"") == []


def test_changed_lines_per_file_and_hunk():
    assert changed_lines(PATCH) == {
        "src/a.py": [["--- y = 2", "+y = 3"], ["+diff --git inside a hunk"]],
        "new.py": [],
        "gone.txt": [["-bye"]],
        "logo.png": [],
    }
    plain = "--- a.txt\n+++ a.txt\n@@ -1 +1 @@\n-a\n+b\n"
    assert changed_lines(plain) == {"a.txt": [["-a", "+b"]]}
    assert changed_lines("not a diff") == {} and changed_lines("") == {}


def test_file_level_diffs_skip_binary_and_key_renames_by_source():
    diffs = file_level_diffs(PATCH)
    assert set(diffs) == {"src/a.py", "old.py", "gone.txt"}
    assert diffs["old.py"] == "rename from old.py to new.py"
    assert diffs["gone.txt"] == "@@ -1,1 +0,0 @@\n-bye"  # unidiff writes the count
