"""The demo world as data: the spec dataclasses and their loader.

Each repository scenario is a TOML file, ``scenarios/<scenario>.toml``, holding one or more ``[[repo]]``
tables (a repository and its forks) whose keys are the fields of `Repo`, `Issue`, `PR`, `Commit` and
`Say` below (``[[repo.history]]``, ``[[repo.issues]]``, ``[[repo.issues.comments]]``, ``[[repo.prs]]``,
``[[repo.prs.commits]]``, ``[[repo.prs.conversation]]``). A commit's edits are
``write = [paths]`` (real files under ``repos/<scenario>/main/`` for the history before the window and
``repos/<scenario>/pr-<number>/`` for a PR's commits), ``[[...replace]]`` tables (``path``, ``old``,
``new``: replace the one occurrence of ``old``) and ``delete = [paths]``. A key that is no field is an
error: a typo would silently change the world and its answer key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

GENERATOR_VERSION = 1
WINDOW_START = dt.datetime(2024, 5, 6, 9, 0, tzinfo=dt.UTC)
WINDOW_HOURS = 4
API = "https://api.github.com"
WEB = "https://github.com"
# The scenarios in timeline order: steps at the same minute run in this order, which fixes event ids.
SCENARIOS = ("confpy", "datefmt", "kvcache", "csvreader", "requests")
DATA = resources.files(__package__)


@dataclass(frozen=True)
class Edit:
    """One file change inside a commit: replace `old` by `new` (exactly once), write a file, or delete it."""

    path: str
    old: str | None = None
    new: str | None = None
    delete: bool = False


@dataclass(frozen=True)
class Commit:
    at: int  # minutes after WINDOW_START (negative: before the window)
    message: str
    edits: tuple[Edit, ...] = ()
    author: str | None = None  # login; default: the PR author
    cherry_pick: tuple[str, int] | None = None  # (repo, pr number): cherry-pick that PR's commits


@dataclass(frozen=True)
class Say:
    """A comment, review or review comment at minute `at`."""

    at: int
    author: str
    body: str
    kind: str = "comment"  # comment, review, review_comment
    state: str | None = None  # review state
    path: str | None = None  # review comment path


@dataclass(frozen=True)
class Issue:
    number: int
    title: str
    body: str
    author: str
    opened: int
    labels: tuple[str, ...] = ()
    comments: tuple[Say, ...] = ()


@dataclass(frozen=True)
class PR:
    number: int
    title: str
    body: str
    author: str
    branch: str
    commits: tuple[Commit, ...]
    opened: int
    closed: int | None  # None: still open at the end of the window
    outcome: str  # merge, squash, rebase, closed, open
    merger: str | None = None
    conversation: tuple[Say, ...] = ()
    closes: tuple[int, ...] = ()  # issues (same repo) closed by the merge
    cross_links: tuple[tuple[str, int], ...] = ()  # issues of other repositories the PR fixes
    head_repo: str | None = None  # fork the head branch lives in (None: same repository)
    reopen: tuple[int, int] | None = None  # (closed at, reopened at) before the final close
    kind: str = "bugfix"  # bugfix, feature, refactor, docs, bot, duplicate, benchmark, unmerged
    expect: str = "rl_seed"  # rl_seed, pull_requests, rejected
    expect_stage: str | None = None
    expect_reasons: tuple[str, ...] = ()  # acceptable reason codes (stage owners pick the exact one)
    relevant_files: tuple[str, ...] = ()  # unchanged files a relevant-file predictor should find
    benchmark_task: bool = False  # the number of a SWE-bench task in a benchmark-named repository
    note: str = ""


@dataclass(frozen=True)
class Repo:
    name: str
    language: str
    description: str
    history: tuple[Commit, ...]  # before the window; the first creates the repository
    owner_type: str = "Organization"
    issues: tuple[Issue, ...] = ()
    prs: tuple[PR, ...] = ()
    fork_of: str | None = None
    forked_at: int | None = None
    watchers: tuple[tuple[int, str], ...] = ()
    benchmark_named: bool = False  # named like a SWE-bench repository


# ====================================================================================== loader
def load_world() -> tuple[Repo, ...]:
    """Every scenario's repositories, in timeline order."""
    return tuple(repo for name in SCENARIOS for repo in load_scenario(name))


def load_scenario(name: str) -> list[Repo]:
    table = tomllib.loads((DATA / "scenarios" / f"{name}.toml").read_text(encoding="utf-8"))
    return [_repo(repo, DATA / "repos" / name) for repo in table["repo"]]


def from_table(cls: type, table: dict, consumed: tuple[str, ...] = (), **fields: Any) -> Any:
    """`cls` from a TOML table: lists become tuples, `fields` (built from sub-tables or inline tables)
    replace the raw values, `consumed` keys are read by the caller; any other key must be a field."""
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in table.items() if k not in consumed}
    values.update(fields)
    if unknown := sorted(set(values) - names):
        raise ValueError(f"demo scenario: {cls.__name__} has no field {', '.join(unknown)}")
    return cls(**values)


def _pairs(items: list[dict], first: str, second: str) -> tuple[tuple[Any, Any], ...]:
    return tuple((item[first], item[second]) for item in items)


def _repo(table: dict, files: Traversable) -> Repo:
    return from_table(
        Repo,
        table,
        history=tuple(_commit(c, files / "main") for c in table.get("history", ())),
        issues=tuple(_issue(i) for i in table.get("issues", ())),
        prs=tuple(_pr(p, files / f"pr-{p['number']}") for p in table.get("prs", ())),
        watchers=_pairs(table.get("watchers", []), "at", "login"),
    )


def _issue(table: dict) -> Issue:
    return from_table(Issue, table, comments=tuple(from_table(Say, s) for s in table.get("comments", ())))


def _pr(table: dict, files: Traversable) -> PR:
    reopen = table.get("reopen")
    return from_table(
        PR,
        table,
        commits=tuple(_commit(c, files) for c in table["commits"]),
        conversation=tuple(from_table(Say, s) for s in table.get("conversation", ())),
        cross_links=_pairs(table.get("cross_links", []), "repo", "issue"),
        reopen=(reopen["closed"], reopen["reopened"]) if reopen else None,
    )


def _commit(table: dict, files: Traversable) -> Commit:
    pick = table.get("cherry_pick")
    edits = (
        *(Edit(path, None, _read(files, path)) for path in table.get("write", ())),
        *(from_table(Edit, r) for r in table.get("replace", ())),
        *(Edit(path, delete=True) for path in table.get("delete", ())),
    )
    return from_table(
        Commit,
        table,
        ("write", "replace", "delete"),
        edits=edits,
        cherry_pick=(pick["repo"], pick["pr"]) if pick else None,
    )


def _read(files: Traversable, path: str) -> str:
    target = files
    for part in path.split("/"):
        target = target / part
    return target.read_bytes().decode("utf-8")  # bytes: no newline translation
