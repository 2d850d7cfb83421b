"""SWE-RL reward: the reference behaviours, edge cases and properties."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from training.reward import (
    apply_edits,
    file_diff,
    patch_similarity_reward,
    swe_rl_reward,
)

FILE_A = "def add(a, b):\n    return a + b\n\ndef subtract(a, b):\n    return a - b"
FILE_A_ORACLE = (
    "def add(a: int, b: int) -> int:\n    return a + b\n\n"
    "def subtract(a: float, b: float) -> float:\n    return a - b"
)
FILE_B = "def sort_list(lst):\n    return sorted(lst)"
FILE_B_ORACLE = "def sort_list(lst: list[int]) -> list[int]:\n    return sorted(lst)"
CONTEXT = {"a.py": FILE_A, "b.py": FILE_B}
ORACLE = {"a.py": FILE_A_ORACLE, "b.py": FILE_B_ORACLE}


def edit(path: str, search: str, replace: str, lang: str = "python") -> str:
    return f"```{lang}\n### {path}\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n```"


def completion(*edits: str, thought: str = "dummy") -> str:
    return f"<think>\n{thought}\n</think>\n<solution>\n" + "\n\n".join(edits) + "\n</solution>\n"


ORACLE_EDITS = (
    edit("a.py", "def add(a, b):", "def add(a: int, b: int) -> int:"),
    edit("a.py", "def subtract(a, b):", "def subtract(a: float, b: float) -> float:"),
    edit("b.py", "def sort_list(lst):", "def sort_list(lst: list[int]) -> list[int]:"),
)


# --------------------------------------------------------------------------- reference behaviours
def test_correct_multifile_edit_scores_one():
    reward, meta = swe_rl_reward(CONTEXT, ORACLE, completion(*ORACLE_EDITS))
    assert reward == 1.0, meta
    assert meta["thought"] == "dummy"
    assert [s["path"] for s in meta["similarities"]] == ["a.py", "b.py"]


def test_edit_to_wrong_file_scores_zero():
    reward, meta = swe_rl_reward(CONTEXT, ORACLE, completion(edit("c.py", "", "# dummy")))
    assert reward == 0.0, meta


def test_one_right_file_plus_two_extra_scores_one_third():
    out = completion(
        edit("c.py", "", "# dummy"),
        edit("c.py", "# dummy", 'print("hello")'),
        edit("b.py", "def sort_list(lst):", "def sort_list(lst: list[int]) -> list[int]:"),
    )
    # the reference case: b right, a missed, c extra
    reward, meta = swe_rl_reward(CONTEXT, ORACLE, out)
    assert reward == pytest.approx(1 / 3), meta
    # one correct file plus two extra files
    out = completion(ORACLE_EDITS[2], edit("c.py", "", "# c"), edit("d.py", "", "# d"))
    reward, meta = swe_rl_reward(CONTEXT, {"b.py": FILE_B_ORACLE}, out)
    assert reward == pytest.approx(1 / 3), meta


@pytest.mark.parametrize(
    "out",
    [
        "\n<think>\ndummy\n</think>\n<solution>\n",  # empty solution, missing closing tag
        "<think>dummy</think><solution></solution>",  # empty solution
        "<think>d</think><solution>\n```\n### a.py\n<<<<<<< SEARCH\nreturn a + b\n=======\nreturn a - b\n```\n</solution>",
    ],
)
def test_format_errors_score_minus_one(out):
    reward, meta = swe_rl_reward(CONTEXT, ORACLE, out)
    assert reward == -1.0 and "error" in meta


# --------------------------------------------------------------------------- edge cases
def test_partial_edit_scores_between():
    reward, meta = swe_rl_reward(CONTEXT, ORACLE, completion(ORACLE_EDITS[0], ORACLE_EDITS[2]))
    assert 0.5 < reward < 1.0
    assert {s["path"]: s["similarity"] for s in meta["similarities"]}["b.py"] == 1.0


def test_several_edits_one_file_apply_in_order():
    new = apply_edits({"x.py": "a\nb\nc\n"}, {"x.py": [("a", "A"), ("A\nb", "B")]})
    assert new == {"x.py": "B\nc\n"}


def test_every_occurrence_is_replaced_and_matches_start_at_line_boundary():
    new = apply_edits({"x.py": "x = 1\nfoo()\ny = foo()\nfoo()\n"}, {"x.py": [("foo()", "bar()")]})
    assert new == {"x.py": "x = 1\nbar()\ny = foo()\nbar()\n"}


def test_search_not_found_and_search_equal_replace_are_format_errors():
    for out in (
        completion(edit("a.py", "def nope():", "x")),
        completion(edit("a.py", "def add(a, b):", "def add(a, b):")),
    ):
        reward, meta = swe_rl_reward(CONTEXT, ORACLE, out)
        assert reward == -1.0, meta


def test_new_file_created_by_empty_search():
    oracle = {"new.py": "X = 1\n"}
    reward, _ = swe_rl_reward(CONTEXT, oracle, completion(edit("new.py", "", "X = 1")))
    assert reward == 1.0


def test_deletion_of_lines_and_deleted_oracle_file():
    ctx = {"m.py": "import os\nimport sys\n\nprint(1)\n"}
    oracle = {"m.py": "import os\n\nprint(1)\n"}
    reward, _ = swe_rl_reward(ctx, oracle, completion(edit("m.py", "import os\nimport sys", "import os")))
    assert reward == 1.0
    # a deleted file ('' after the change) cannot be reproduced by a partial deletion
    reward, _ = swe_rl_reward(ctx, {"m.py": ""}, completion(edit("m.py", "import sys\n", "")))
    assert 0.0 < reward < 1.0


def test_empty_replace_leaves_an_empty_line_as_in_the_reference():
    ctx = {"m.py": "a = 1\nb = 2\nc = 3\n"}
    assert apply_edits(ctx, {"m.py": [("b = 2", "")]}) == {"m.py": "a = 1\n\nc = 3\n"}
    oracle = {"m.py": "a = 1\nc = 3\n"}
    assert swe_rl_reward(ctx, oracle, completion(edit("m.py", "b = 2", "")))[0] < 1.0
    assert swe_rl_reward(ctx, oracle, completion(edit("m.py", "a = 1\nb = 2", "a = 1")))[0] == 1.0


def test_crlf_context_files_and_crlf_output():
    ctx = {"w.py": "a = 1\r\nb = 2\r\n"}
    oracle = {"w.py": "a = 1\r\nb = 3\r\n"}
    # single-line search matches inside a CRLF file; the diff is taken over splitlines
    reward, _ = swe_rl_reward(ctx, oracle, completion(edit("w.py", "b = 2", "b = 3")))
    assert reward == 1.0
    # a completion written with CRLF has no well-formed block: a format error, as in the reference
    reward, meta = swe_rl_reward(
        ctx, oracle, completion(edit("w.py", "b = 2", "b = 3")).replace("\n", "\r\n")
    )
    assert reward == -1.0 and "No valid search blocks" in meta["error"]


def test_non_ascii_content():
    ctx = {"i18n.py": 'MSG = "héllo wörld"\nEMOJI = "🐍"\n'}
    oracle = {"i18n.py": 'MSG = "héllo wörld!"\nEMOJI = "🐍"\n'}
    out = completion(edit("i18n.py", 'MSG = "héllo wörld"', 'MSG = "héllo wörld!"'), thought="pensée ✓")
    reward, meta = swe_rl_reward(ctx, oracle, out)
    assert reward == 1.0 and meta["thought"] == "pensée ✓"


def test_duplicated_tags_and_empty_thought():
    base = completion(*ORACLE_EDITS)
    for out in (base + "<solution>", "<think>x</think>" + base, base.replace("dummy", "  \n")):
        assert swe_rl_reward(CONTEXT, ORACLE, out)[0] == -1.0


def test_text_outside_fences_and_tags_is_ignored():
    out = "Sure! " + completion("Here is the fix:", *ORACLE_EDITS, "Hope this helps.") + "\nBye."
    reward, _ = swe_rl_reward(CONTEXT, ORACLE, out)
    assert reward == 1.0


def test_both_sides_empty_scores_one_and_untouched_oracle_file_is_skipped():
    # the oracle "changes" a.py to itself: no oracle diff; prediction edits nothing scored -> only b.py
    oracle = {"a.py": FILE_A, "b.py": FILE_B_ORACLE}
    reward, meta = swe_rl_reward(CONTEXT, oracle, completion(ORACLE_EDITS[2]))
    assert reward == 1.0 and [s["path"] for s in meta["similarities"]] == ["b.py"]


def test_file_diff_matches_difflib_and_drops_headers():
    old, new = "a\nb\nc\n", "a\nB\nc\n"
    expected = "\n".join(list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm=""))[2:])
    assert file_diff(old, new) == expected and expected.startswith("@@")
    assert file_diff(old, old) == "" and file_diff("a\n", "a") == ""


# --------------------------------------------------------------------------- properties
LINES = st.lists(
    st.text(alphabet="ab(){} =\t\né1", max_size=12).map(lambda s: s.replace("\n", "")),
    min_size=1,
    max_size=12,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LINES, st.data())
def test_oracle_edit_scores_one_and_reward_in_range(lines, data):
    old = "\n".join(lines)
    ctx = {"f.py": old}
    # the oracle replaces lines[i:j] (a uniquely anchored, non-empty block) with new lines
    i = data.draw(st.integers(0, len(lines) - 1))
    j = data.draw(st.integers(i + 1, len(lines)))
    # (an empty REPLACE leaves an empty line, as in the reference: deleting needs context lines)
    new_lines = data.draw(st.lists(st.text(alphabet="xyz; é", max_size=8), min_size=1, max_size=3))
    search, replace = "\n".join(lines[i:j]), "\n".join(new_lines)
    new = "\n".join(lines[:i] + new_lines + lines[j:])
    anchored, needle = "\n" + old, "\n" + search
    first = anchored.find(needle)
    if search and search != replace and anchored.find(needle, first + 1) == -1:  # one match, overlaps too
        reward, meta = swe_rl_reward(ctx, {"f.py": new}, completion(edit("f.py", search, replace)))
        assert reward == 1.0, meta
    noise = data.draw(st.text(max_size=200))
    assert -1.0 <= swe_rl_reward(ctx, {"f.py": new}, noise)[0] <= 1.0
    other = data.draw(st.text(max_size=20))
    reward, _ = swe_rl_reward(
        ctx, {"f.py": new}, completion(edit("f.py", search, other), edit("g.py", "", other))
    )
    assert reward == -1.0 or 0.0 <= reward <= 1.0


# --------------------------------------------------------------------------- unified-diff variant
DIFF_1 = """diff --git a/foo.txt b/foo.txt
index 83db48f..f73504f 100644
--- a/foo.txt
+++ b/foo.txt
@@ -1,4 +1,4 @@
-Hello world
+Hello World
 This is a file
-With some lines
+With some changed lines
 End
"""
DIFF_2 = DIFF_1.replace("+With some changed lines", "+With some changed")
DIFF_3 = DIFF_2.replace("foo.txt", "bar.txt")
RENAME = """diff --git a/old.py b/new.py
similarity index 90%
rename from old.py
rename to new.py
index 1111111..2222222 100644
--- a/old.py
+++ b/new.py
@@ -1,2 +1,2 @@
 x = 1
-y = 2
+y = 3
"""


def test_patch_similarity_reward():
    assert patch_similarity_reward(DIFF_1, DIFF_1)[0] == 1.0
    assert patch_similarity_reward(DIFF_1, DIFF_2)[0] > 0.9
    assert patch_similarity_reward(DIFF_1, DIFF_3)[0] == 0.0
    assert patch_similarity_reward(DIFF_1, DIFF_1 + DIFF_3)[0] == 0.5
    assert patch_similarity_reward("", "")[0] == 1.0
    assert patch_similarity_reward(DIFF_1, "not a diff")[0] == 0.0
    reward, meta = patch_similarity_reward(RENAME, RENAME)
    assert reward == 1.0 and meta["similarities"][0]["oracle_change"].startswith(
        "rename from old.py to new.py"
    )
