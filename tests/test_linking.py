"""Closing-keyword links and mentions: every GitHub form, and the texts that must not link."""

from __future__ import annotations

import random

import pytest

from swe_corpus import linking
from swe_corpus.linking import (
    KEYWORDS,
    IssueRef,
    find_links,
    find_mentions,
    link_commit_messages,
    link_pull_request,
)

REPO = "octo/widgets"


def refs(text: str) -> list[tuple[str, int]]:
    return [(lk.repo, lk.number) for lk in find_links(text, REPO, "body")]


@pytest.mark.parametrize("keyword", KEYWORDS)
@pytest.mark.parametrize("case", [str.lower, str.upper, str.capitalize])
@pytest.mark.parametrize("sep", [" ", ": ", ":", "  "])
def test_every_keyword_any_case_optional_colon(keyword, case, sep):
    assert refs(f"This {case(keyword)}{sep}#12 for good.") == [(REPO, 12)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Fixes #12", [(REPO, 12)]),
        ("closes other/lib#7", [("other/lib", 7)]),
        ("Resolves GH-33", [(REPO, 33)]),
        ("fixed https://github.com/octo/widgets/issues/41", [(REPO, 41)]),
        ("Fix: https://github.com/third/party/issues/5.", [("third/party", 5)]),
        ("closes https://github.com/octo/widgets/pull/9", [(REPO, 9)]),
        ("Fixes #1, fixes #2 and resolves #3", [(REPO, 1), (REPO, 2), (REPO, 3)]),
        ("(fixes #8)", [(REPO, 8)]),
        ("Fixes #5\nFixes #5 again", [(REPO, 5)]),
    ],
)
def test_link_forms(text, expected):
    assert refs(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "see prefix#12 for context",
        "fixes prefix#12",
        "fixes the flaky test",
        "fixes #",
        "Use `fixes #12` in your PR text",
        "```\nfixes #12\n```",
        "~~~python\n# fixes #12\n~~~",
        "<!-- fixes #12 -->",
        "<!-- Please write fixes #12 here\n-->",
        "fixed in 3f2a1bc9d0e4",
        "fixes #3f2a1bc",
        "fixes #12abc",
        "prefixes #12",
        "unfixed #12",
        "fixes http://example.com/octo/widgets/issues/12",
    ],
)
def test_negatives_never_link(text):
    assert refs(text) == []


def test_link_records_source_and_matched_text():
    (link,) = find_links("Title\n\nThis Fixes:  #12 nicely", REPO, "commit")
    assert (link.source, link.text, link.ref) == ("commit", "Fixes: #12", IssueRef(REPO, 12))


def test_code_stripped_but_prose_around_it_links():
    text = "Use `x = 1` here.\n```\nfixes #1\n```\nCloses #2 <!-- fixes #3 -->"
    assert refs(text) == [(REPO, 2)]


def test_mentions_are_keywordless_references():
    links, mentions = link_pull_request(
        REPO, 50, "Fix crash (closes #7)", "See #8, other/lib#9 and GH-10; `#11`."
    )
    assert [(lk.repo, lk.number, lk.source) for lk in links] == [(REPO, 7, "title")]
    assert mentions == [IssueRef(REPO, 8), IssueRef("other/lib", 9), IssueRef(REPO, 10)]


def test_own_number_is_not_a_link_and_commit_messages_add_links():
    links, mentions = link_pull_request(REPO, 5, "Fixes #5", "see #5", ("Fix parser\n\nResolves #6",))
    assert [(lk.number, lk.source) for lk in links] == [(6, "commit")]
    assert mentions == []


def test_each_pr_text_is_stripped_once(monkeypatch):
    import swe_corpus.linking as linking

    calls = []
    strip = linking.strip_non_prose
    monkeypatch.setattr(linking, "strip_non_prose", lambda text: calls.append(text) or strip(text))
    texts = ("Fixes #1 <!-- fixes #9 -->", "see #2 `#3`", ("Resolves #4",))
    links, mentions = link_pull_request(REPO, 50, *texts)
    assert len(calls) == 3  # title, body, one commit message: not once per scan
    assert [lk.number for lk in links] == [1, 4] and mentions == [IssueRef(REPO, 2)]


def test_cross_repo_keys_are_case_insensitive():
    assert IssueRef("Other/Lib", 3).key == IssueRef("other/lib", 3).key
    assert find_mentions("prefix#12 and a1b2c3d", REPO) == []


def test_link_commit_messages_adds_new_links_to_a_row():
    row = {
        "repo": REPO,
        "number": 5,
        "linked_issues": [
            {"repo": REPO, "number": 3, "link_source": "body", "link_text": "Fixes #3", "title": "t"}
        ],
        "mentioned_issues": [{"repo": REPO, "number": 8}],
    }
    out = link_commit_messages(row, ["Fix parser\n\nCloses #8", "fixes #3", "fixes #5", "wip `fixes #9`"])
    assert [(i["number"], i["link_source"]) for i in out["linked_issues"]] == [(3, "body"), (8, "commit")]
    assert out["mentioned_issues"] == []
    assert link_commit_messages(row, ["typo"]) is row


@pytest.mark.parametrize(
    "body",
    [
        "`" * 200_000,
        "` a " * 50_000,
        "``x`" * 50_000,
        "<!--" * 50_000,
        "```\n" * 50_000,
        "~" * 200_000,
        "#" * 200_000,
        "fixes #" * 50_000,
        "https://github.com/" * 20_000,
        "x#1 " * 50_000,
        " /#1" * 50_000,
    ],
)
def test_pathological_bodies_stay_linear(body):
    """Bodies are untrusted: a backtracking pattern here once took minutes on 200k backticks."""
    links, mentions = link_pull_request("o/r", 1, body, body, (body,))
    assert links == [] and mentions == []


def test_inline_code_spans_follow_commonmark():
    from swe_corpus.linking import strip_inline_code

    assert strip_inline_code("a `fixes #1` b") == "a   b"
    assert strip_inline_code("a ``x ` fixes #1`` b") == "a   b"
    assert strip_inline_code("unclosed ` fixes #1") == "unclosed ` fixes #1"


def test_scanning_near_marks_finds_exactly_what_a_full_scan_finds():
    """`_references` searches only near `#N`, `GH-N`, `/issues/N`; generated texts of reference
    pieces (forms that nest: `gh-7/x#2` is owner/name#2, a URL reaching ~170 characters back) and
    fillers across the reach must give the full scan's matches, span for span."""
    pieces = ["#1", "#12", "gh-7", "GH-3a", "o/r", "a-b/c.d", "owner/name#4", "https://github.com/",
              "http://www.github.com/o/r", "/issues/3", "/pull/4", "issues/", "#5x", "w#5", "##", "/", ".",
              "١٢", "Fixes ", "99999999999", "\n"]  # fmt: skip
    rng = random.Random(7)
    for _ in range(20_000):
        parts = []
        for _ in range(rng.randint(1, 14)):
            parts.append(rng.choice(pieces))
            if rng.random() < 0.3:
                parts.append(rng.choice(["x", "-", "o", " ", "/"]) * rng.randint(1, 260))
        text = "".join(parts)
        assert [m.span() for m in linking._references(text)] == [
            m.span() for m in linking._MENTION.finditer(text)
        ], text
