"""Find the issues a pull request resolves (closing keywords) or merely mentions, in its text.

GitHub closes an issue when a PR's text says e.g. ``Fixes #12``. SWE-bench's collector only knows
``(\\w+)\\s+#(\\d+)``; we cover every closing keyword (close/closes/closed, fix/fixes/fixed,
resolve/resolves/resolved, any case), an optional colon, and the ref forms ``#N``, ``owner/repo#N``,
``GH-N`` and full issue/pull URLs. HTML comments, fenced code blocks and inline code spans are
stripped first, so template comments and code samples never link.

Public API: `find_links(text, repo, source)` (one text; the extract stage calls it on commit
messages with ``source="commit"``), `find_mentions(text, repo)`, `link_pull_request(...)`, and
`link_commit_messages(row, messages)` (adds commit-message links to a PULL_REQUESTS row).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

KEYWORDS = ("close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves", "resolved")

_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
# Possessive runs: a backtracking fence opener was quadratic on a line of many backticks.
_FENCED = re.compile(r"^[ \t]*+(`{3,}+|~{3,}+)[^\n]*+\n.*?(?:^[ \t]*\1[ \t]*$|\Z)", re.S | re.M)
_BACKTICKS = re.compile(r"`+")

_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})"
_NAME = r"[A-Za-z0-9._-]{1,100}"
# One issue reference; exactly one named group set per form.
_REF = (
    rf"(?:https?://(?:www\.)?github\.com/(?P<url_repo>{_OWNER}/{_NAME})/(?:issues|pull)/(?P<url_num>\d+)(?![\w-])"
    rf"|(?<![\w/.-])(?P<xrepo>{_OWNER}/{_NAME})#(?P<xnum>\d+)(?![\w-])"
    r"|(?<![\w/#-])#(?P<num>\d+)(?![\w-])"
    r"|(?<![\w/-])GH-(?P<gh>\d+)(?![\w-]))"
)
_KEYWORD = r"(?<![\w-])(?P<kw>(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?))"
_LINK = re.compile(rf"{_KEYWORD}[ \t]*:?[ \t]*{_REF}", re.I)
# Every form of _REF ends in one of these with its number: a text without any has no reference, and
# a reference starts at most _REACH characters before its mark (URL form: scheme, host, 39-character
# owner, 100-character name, "/issues/"). Scanning near marks only is ~10x faster on long bodies.
_REF_MARK = re.compile(r"(?:#|gh-|/(?:issues|pull)/)\d+", re.I)
# The same mark for Arrow's RE2 (a prefilter over whole columns): RE2's \d is ASCII only, Python's any
# decimal digit (`Fixes #١٢` links issue 12), hence \p{Nd}
REF_MARK_RE2 = r"(?i)(?:#|gh-|/(?:issues|pull)/)\p{Nd}"
_REACH = 192
_MENTION = re.compile(_REF, re.I)


@dataclass(frozen=True)
class IssueRef:
    """A reference to issue `number` of `repo` (owner/name as written)."""

    repo: str
    number: int

    @property
    def key(self) -> tuple[str, int]:
        """Join key: repository names are case-insensitive on GitHub."""
        return (self.repo.lower(), self.number)

    def row(self) -> dict:
        """An ISSUE_REF struct (`mentioned_issues`)."""
        return {"repo": self.repo, "number": self.number}


@dataclass(frozen=True)
class Link:
    """A closing reference: which issue, found in which text (title, body, commit), by what words."""

    repo: str
    number: int
    source: str
    text: str

    @property
    def ref(self) -> IssueRef:
        return IssueRef(self.repo, self.number)

    def row(self) -> dict:
        """The link fields of a LINKED_ISSUE struct (and of a PR's `_links`)."""
        return {"repo": self.repo, "number": self.number, "link_source": self.source, "link_text": self.text}


def strip_inline_code(text: str) -> str:
    """Remove code spans: a run of k backticks up to the next run of exactly k (CommonMark); an
    unmatched run is literal. Linear in the number of runs: a backtracking regex took minutes on a
    body made of backticks, and bodies are untrusted."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    if len(runs) < 2:
        return text
    by_len: dict[int, list[int]] = {}
    for i, (start, end) in enumerate(runs):
        by_len.setdefault(end - start, []).append(i)
    out, pos, i = [], 0, 0
    while i < len(runs):
        start, end = runs[i]
        same = by_len[end - start]
        k = bisect.bisect_right(same, i)
        if k == len(same):  # no closing run of the same length: literal backticks
            i += 1
            continue
        close = same[k]
        out += [text[pos:start], " "]
        pos, i = runs[close][1], close + 1
    out.append(text[pos:])
    return "".join(out)


def strip_non_prose(text: str) -> str:
    """Remove HTML comments, fenced code blocks and inline code spans (they never link on GitHub)."""
    text = _HTML_COMMENT.sub(" ", text)
    text = _FENCED.sub(" ", text)
    return strip_inline_code(text)


def _ref_of(m: re.Match, repo: str) -> IssueRef | None:
    g = m.groupdict()
    if g["url_num"]:
        return IssueRef(g["url_repo"], int(g["url_num"]))
    if g["xnum"]:
        return IssueRef(g["xrepo"], int(g["xnum"]))
    number = g["num"] or g["gh"]
    return IssueRef(repo, int(number)) if number else None


def _valid(ref: IssueRef | None) -> bool:
    return ref is not None and 0 < ref.number < 2**31


def find_links(text: str | None, repo: str, source: str) -> list[Link]:
    """Closing references in `text` of a PR of `repo`, in order, without duplicates."""
    return _links_in(strip_non_prose(text), repo, source) if text else []


def find_mentions(text: str | None, repo: str) -> list[IssueRef]:
    """Every issue reference in `text` (with or without a keyword), in order, without duplicates."""
    return _mentions_in(strip_non_prose(text), repo) if text else []


# The two scans on text already through strip_non_prose: a PR's texts are stripped once for both.
def _links_in(prose: str, repo: str, source: str) -> list[Link]:
    out: dict[tuple[str, int], Link] = {}
    for m in _LINK.finditer(prose):
        ref = _ref_of(m, repo)
        if _valid(ref) and ref.key not in out:
            out[ref.key] = Link(ref.repo, ref.number, source, " ".join(m.group(0).split()))
    return list(out.values())


def _references(prose: str):
    """`_MENTION.finditer(prose)`, searched only near marks. Every match ends with the number of a
    mark and starts at most _REACH before that mark, so marks closer than _REACH form one cluster
    (a match may run from one to the next: `gh-1/x#2` is owner/name#2) and each cluster is searched
    from _REACH before it to one character past its last number (for the lookahead; lookbehinds see
    before the start). A match found there starts where the whole text's does; the match at that
    start is taken on the whole text."""
    clusters: list[list[int]] = []
    for mark in _REF_MARK.finditer(prose):
        if clusters and mark.start() - clusters[-1][1] < _REACH:
            clusters[-1][1] = mark.end()
        else:
            clusters.append([mark.start(), mark.end()])
    pos = 0
    for start, end in clusters:
        lo = max(pos, start - _REACH)
        while found := _MENTION.search(prose, lo, end + 1):
            m = _MENTION.match(prose, found.start())
            yield m
            pos = lo = m.end()


def _mentions_in(prose: str, repo: str) -> list[IssueRef]:
    out: dict[tuple[str, int], IssueRef] = {}
    for m in _references(prose):
        ref = _ref_of(m, repo)
        if _valid(ref):
            out.setdefault(ref.key, ref)
    return list(out.values())


def link_pull_request(
    repo: str, number: int, title: str | None, body: str | None, commit_messages: tuple[str, ...] = ()
) -> tuple[list[Link], list[IssueRef]]:
    """(closing links, keyword-less mentions) of a PR; its own number is never a link or mention."""
    own = (repo.lower(), number)
    texts = [("title", title), ("body", body)] + [("commit", msg) for msg in commit_messages]
    prose = [(source, strip_non_prose(text)) for source, text in texts if text and _REF_MARK.search(text)]
    links: dict[tuple[str, int], Link] = {}
    for source, text in prose:
        for link in _links_in(text, repo, source):
            if link.ref.key != own:
                links.setdefault(link.ref.key, link)
    mentions: dict[tuple[str, int], IssueRef] = {}
    for _source, text in prose:
        for ref in _mentions_in(text, repo):
            if ref.key != own and ref.key not in links:
                mentions.setdefault(ref.key, ref)
    return list(links.values()), list(mentions.values())


def link_commit_messages(row: dict, messages: list[str]) -> dict:
    """A PULL_REQUESTS row with the closing links found in its commit messages added to `linked_issues`.

    SWE-bench also searches commit messages. Issues already linked keep their entry; new ones get a
    LINKED_ISSUE entry with `link_source="commit"` and no text (the issue join ran before commits were
    known), so `problem_statement` is unchanged; a new link drops out of `mentioned_issues`."""
    repo, own = row["repo"], (row["repo"].lower(), row["number"])
    linked = list(row.get("linked_issues") or [])
    known = {IssueRef(i["repo"], i["number"]).key for i in linked} | {own}
    for message in messages:
        for link in find_links(message, repo, "commit"):
            if link.ref.key not in known:
                known.add(link.ref.key)
                linked.append({**link.row(), "hydrated": False})
    if len(linked) == len(row.get("linked_issues") or []):
        return row
    mentions = [
        m for m in row.get("mentioned_issues") or [] if IssueRef(m["repo"], m["number"]).key not in known
    ]
    return {**row, "linked_issues": linked, "mentioned_issues": mentions}
