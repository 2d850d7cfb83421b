"""Is a linked issue a bug report, a change request, or something else (a question, docs, a discussion)?

SWE-RL's seeds are issues that ask for a code change. Every issue here is already linked from a merged PR
that changed code, so the prior is strongly "a task": the rule looks for evidence and explains itself.
Order (first match decides; `IssueKind.reason` names it):
1. labels, where maintainers triaged the issue, read as words: a label saying it is no task ("not a bug",
   "wontfix", "invalid", "duplicate") -> other; then bug-like, feature-like, other-like (question,
   discussion, documentation, support) labels;
2. failure vocabulary in the title (error, crash, "doesn't work", "no longer", wrong, inconsistent...): bug;
3. a meta title (tracking issue, roadmap, release planning, RFC, discussion): other;
4. a feature tag opening the title (`[ENH]`, `feat:`), or a request phrased as a question ("Can we have
   ...", "Would it be possible ...", "Is there a way to ...", "Support for ...?"): feature;
5. a question or support title (how do I, what is, where is, [question]) whose body reports no failure
   (the failure vocabulary of rule 2): other;
6. request vocabulary in the title (add, allow, support, should, expose, improve...): feature;
7. failure, then request vocabulary in the body;
8. documentation-only wording in the title (typo in docs, update README): other;
9. otherwise a change request: 'feature' (reason `request`), since a closed, linked, fixed issue with no
   question or docs cue asks for a change.
Measured for recall and precision on real labelled GitHub issues and SWE-bench problem statements in
docs/curation.md (`bench/issue_kind.py`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

KINDS = ("bug", "feature", "other")

# Labels are read as words: "prefix" is no fix, "Windows support" no support request, and a label that
# says the issue is not a task ("not a bug", "wontfix") wins over the words it contains.
NOT_TASK_LABELS = re.compile(
    r"\b(not[ -]a[ -]bug|wontfix|won'?t[ -]fix|works?[ -]as[ -](intended|designed|expected)|invalid|duplicate"
    r"|spam|off[ -]topic)\b",
    re.IGNORECASE,
)
BUG_LABELS = re.compile(r"\b(bug|defect|regression|crash|broken|error)|\bi-crash", re.IGNORECASE)
FEATURE_LABELS = re.compile(
    r"\b(enhancement|feature|improvement|request|proposal|refactor|rfe|suggestion|performance)", re.IGNORECASE
)
OTHER_LABELS = re.compile(
    r"\b(question|discussion|documentation|needs? more info)\b|^((type|kind)\s*[:/]\s*)?(support|docs?|help)$",
    re.IGNORECASE,
)
BUG_TEXT = re.compile(
    r"\b(bugs?|errors?|exceptions?|traceback|stack ?trace|crash(es|ed|ing)?|fail(s|ed|ing|ure|ures)?|broken"
    r"|breaks|regression|incorrect(ly)?|wrong(ly)?|unexpected(ly)?|not work(ing)?|no longer|segfaults?|panics?"
    r"|hang(s|ing)?|raises?|raised|leak(s|ing)?|expected .{0,40}(but|instead)|instead of"
    r"|(does|do|did|is|are|was|were|could|can|will|would|should)(n't| not) (be |get |)\w+|can ?not|can't|unable"
    r"|inconsisten(t|cy)|invalid|mis(sing|ses|sed|handles?)|drops?|ignor(es|ed|ing)|incomplete|improper(ly)?"
    r"|(strange|weird|odd|confusing|bad|buggy) \w+|issue with|problem with|problems?|typeerror|valueerror"
    r"|keyerror|attributeerror|indexerror|warnings?|overrides?|duplicate[ds]?|infinite|recursion|nan"
    r"|out of range|undefined|not (properly|correctly|always|equal)|produces?|returns? (a |an |the )?\w+ (instead|when)"
    r"|fix(es|ed)?)\b",
    re.IGNORECASE,
)
FEATURE_TEXT = re.compile(
    r"\b(feature|add(s|ed|ing)?|allow(s|ing)?|support(s|ing)?|should|would be|it would|please|propos(e|al|ed)"
    r"|enhance(ment)?|implement(s|ed|ation)?|deprecat(e|ed|ion)|make it possible|new|option(al|s)?|expose"
    r"|improve(d|ment|s)?|optimi[sz](e|ation)|refactor(ing)?|remove|rename|use|request|hook|let|enable"
    r"|combine|simplify|speed ?up|faster|better|extend|provide|introduce|replace|update|upgrade|drop support)\b",
    re.IGNORECASE,
)
QUESTION_TITLE = re.compile(
    r"^\s*(\[(question|help|support|q)\]|(question|help|support)\s*:|how (do|can|should|to)"
    r"|what('s| is| are)|where (is|are|can)|which)\b",
    re.IGNORECASE,
)
# A request phrased as a question ("Can we have a --dry-run flag?", "Support for Python 3.12?").
REQUEST_QUESTION_TITLE = re.compile(
    r"^\s*(can (we|you|i) (have|add|get|support|make|use|set|configure|disable|enable)|would it be possible"
    r"|is it possible to|is there (a|any) way to|could (we|you)|any (plans?|chance)|support for)\b",
    re.IGNORECASE,
)
META_TITLE = re.compile(
    r"^\s*(\[(meta|rfc|discussion|tracking|roadmap)\]|(meta|rfc|discussion|tracking|roadmap)\s*:|rfc\b)|\b(tracking issue|roadmap|planning"
    r"|release (plan|checklist|notes|schedule))\b",
    re.IGNORECASE,
)
FEATURE_TAG_TITLE = re.compile(
    r"^\s*(\[(enh|enhancement|feat|feature|rfe|mnt)\]|(enh|feat|feature)\s*:)", re.IGNORECASE
)
DOCS_TITLE = re.compile(
    r"^\s*(\[?docs?\]?:|typos?\b)|\b(typos?|spelling|readme|documentation|docstrings?|docs)\b", re.IGNORECASE
)


class IssueKind(NamedTuple):
    kind: str  # one of KINDS
    reason: str  # the evidence: label:NAME, title:bug 'WORD', question_title, body:feature 'WORD', request...


def _cue(pattern: re.Pattern, text: str) -> str | None:
    m = pattern.search(text)
    return m.group(0).lower()[:40] if m else None


def classify_issue(title: str | None, body: str | None, labels: list[str] | None = None) -> IssueKind:
    """Kind and reason of one issue (module docstring for the order of the rules)."""
    label_rules = (
        (NOT_TASK_LABELS, "other"),
        (BUG_LABELS, "bug"),
        (FEATURE_LABELS, "feature"),
        (OTHER_LABELS, "other"),
    )
    for pattern, kind in label_rules:
        for label in labels or []:
            if pattern.search(label):
                return IssueKind(kind, f"label:{label[:40]}")
    title, body = title or "", body or ""
    if cue := _cue(BUG_TEXT, title):
        return IssueKind("bug", f"title:bug '{cue}'")
    if META_TITLE.search(title):
        return IssueKind("other", "meta_title")
    if cue := _cue(FEATURE_TAG_TITLE, title):
        return IssueKind("feature", f"title:feature '{cue.strip()}'")
    if cue := _cue(REQUEST_QUESTION_TITLE, title):
        return IssueKind("feature", f"title:feature '{cue.strip()}'")
    body_bug = _cue(BUG_TEXT, body)
    if QUESTION_TITLE.search(title) and not body_bug:
        return IssueKind("other", "question_title")
    if cue := _cue(FEATURE_TEXT, title):
        return IssueKind("feature", f"title:feature '{cue}'")
    if body_bug:
        return IssueKind("bug", f"body:bug '{body_bug}'")
    if DOCS_TITLE.search(title):
        return IssueKind("other", "docs_title")
    if cue := _cue(FEATURE_TEXT, body):
        return IssueKind("feature", f"body:feature '{cue}'")
    return IssueKind("feature", "request")


def combine(kinds: list[IssueKind]) -> IssueKind | None:
    """A PR's kind over its linked issues: a bug if any is, else a feature if any is; None without issues."""
    for wanted in ("bug", "feature", "other"):
        for k in kinds:
            if k.kind == wanted:
                return k
    return None
