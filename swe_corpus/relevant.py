"""Relevant-but-unchanged files for a PR (SWE-RL: without them a model learns to edit every file shown).

Predictors share one interface: `predict(ctx, k) -> list[Relevant]`, ranked, each with a score and a
reason. `LocalPredictor` uses evidence from the repository at the base commit: imports of and by the
changed files (Python, JS/TS, Go, Java, C#), files named in the issue/PR text, source/test pairing and
co-change frequency in history. `LLMPredictor` asks an OpenAI-compatible chat endpoint with the paper's
inputs (PR description, changed paths, file list) and falls back to the local predictor on any error.
"""

from __future__ import annotations

import functools
import json
import logging
import posixpath
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import requests

from swe_corpus.git_repo import GitRepo, TreeEntry
from swe_corpus.languages import EXTENSION_LANGUAGE, is_test_path, language_of
from swe_corpus.redaction import redact_text

log = logging.getLogger(__name__)

DEFAULT_K = 10  # relevant files per PR
DEFAULT_BUDGET_BYTES = 200_000  # total content of relevant files per PR (~50k tokens)
DEFAULT_LLM_URL = "http://127.0.0.1:8000/v1"  # an OpenAI-compatible server, e.g. vLLM
DEFAULT_LLM_MODEL = "meta-llama/Llama-3.1-70B-Instruct"
DEFAULT_LLM_TIMEOUT_S = 60.0
WEIGHTS = {
    "imported_by_changed": 3.0,
    "named_in_text": 2.5,
    "imports_changed": 2.0,
    "test_pair": 2.0,
    "co_change": 1.5,
}
MAX_IMPORTER_CANDIDATES = 200
MAX_COCHANGE_FILES_PER_COMMIT = 30  # bigger commits (imports, reformats) say nothing about coupling
MIN_COCHANGES = 2  # one shared commit is noise
# The JS and TS extensions of languages.EXTENSION_LANGUAGE, in the order `import './x'` tries them.
JS_EXTS = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts")


@dataclass
class Relevant:
    path: str
    score: float
    reason: str


@dataclass
class PRContext:
    """What a predictor may look at: the tree at the base commit, the changed files and the PR text."""

    repo: GitRepo
    base_commit: str
    changed_paths: list[str]
    changed_text: dict[str, str]  # path -> content (before, or after for added files)
    text: str  # title, body and linked-issue text
    base_time: int = 0
    cochange: CoChangeIndex | None = None

    @property
    def tree(self) -> dict[str, TreeEntry]:
        return self.repo.tree(self.base_commit)


class RelevantPredictor(Protocol):
    name: str

    def predict(self, ctx: PRContext, k: int) -> list[Relevant]: ...


# --------------------------------------------------------------------------- import parsing
PY_IMPORT_RE = re.compile(r"^\s*(?:from\s+(\.*[\w.]*)\s+import\s+([\w*, ()]+)|import\s+([\w., ]+))", re.M)
JS_IMPORT_RE = re.compile(
    r"""(?:import\s[^'";]*?from\s*|import\s*\(?\s*|require\s*\(\s*|export\s[^'";]*?from\s*)['"]([^'"]+)['"]"""
)
GO_IMPORT_BLOCK_RE = re.compile(r"^import\s*\(([^)]*)\)", re.M | re.S)
GO_IMPORT_LINE_RE = re.compile(r'^import\s+(?:\w+\s+)?"([^"]+)"', re.M)
JAVA_IMPORT_RE = re.compile(r"^\s*import\s+(?:static\s+)?([\w.]+)(\.\*)?\s*;", re.M)
CS_USING_RE = re.compile(r"^\s*using\s+(?:static\s+)?([\w.]+)\s*;", re.M)
CS_TYPE_RE = re.compile(r"\b([A-Z][A-Za-z0-9_]{2,})\b")


class ImportResolver:
    """Maps the import statements of one file to paths of the tree (best effort, evidence only).
    Its indexes of the tree (by file name, directory, test stem) serve the other evidence too."""

    def __init__(self, tree: dict[str, TreeEntry]):
        self.paths = tree
        self.by_dir: dict[str, list[str]] = defaultdict(list)
        self.by_name: dict[str, list[str]] = defaultdict(list)
        for p in tree:  # git paths: no leading, trailing or doubled slashes
            directory, _, name = p.rpartition("/")
            self.by_name[name].append(p)
            self.by_dir[directory].append(p)

    @functools.cached_property
    def by_stem(self) -> dict[tuple[str, str, bool], list[str]]:
        """(lowercased test stem, language, is a test) -> paths: all three depend on the file name only,
        so they are computed once per distinct name."""
        out: dict[tuple[str, str, bool], list[str]] = defaultdict(list)
        for name, paths in self.by_name.items():
            lang = language_of(name)
            if lang:
                out[(test_stem(name).lower(), lang, is_test_path(name))].extend(paths)
        return out

    def suffix(self, rel: str) -> list[str]:
        """Tree paths equal to `rel` or ending with `/rel`."""
        out = [p for p in self.by_name.get(posixpath.basename(rel), []) if p == rel or p.endswith("/" + rel)]
        return out

    def resolve(self, path: str, text: str) -> set[str]:
        fn = RESOLVERS.get(language_of(path) or "")
        return (fn(self, path, text) if fn else set()) - {path}

    def python(self, path: str, text: str) -> set[str]:
        out: set[str] = set()
        for m in PY_IMPORT_RE.finditer(text):
            if m.group(3):
                modules = [x.strip().split(" as ")[0] for x in m.group(3).split(",")]
                names: list[str] = []
            else:
                modules = [m.group(1)]
                names = [n.strip().split(" as ")[0] for n in m.group(2).strip("() ").split(",")]
            for mod in modules:
                base = self._py_base(path, mod)
                if base is None:
                    continue
                subs = [f"{base}/{n}" if base else n for n in names if n and n != "*"]
                hits = self._py_files(subs, relative=mod.startswith("."))
                out.update(hits or self._py_files([base], relative=mod.startswith(".")))
        return out

    def _py_files(self, modules: list[str], relative: bool) -> set[str]:
        """Tree files of dotted-module paths (`a/b` -> a/b.py or a/b/__init__.py; absolute ones by suffix)."""
        out: set[str] = set()
        for c in modules:
            for rel in (f"{c}.py", f"{c}/__init__.py"):
                out.update([rel] if rel in self.paths else ([] if relative else self.suffix(rel)))
        return out

    @staticmethod
    def _py_base(path: str, mod: str) -> str | None:
        dots = len(mod) - len(mod.lstrip("."))
        rest = mod.lstrip(".").replace(".", "/")
        if not dots:
            return rest or None
        d = posixpath.dirname(path)
        for _ in range(dots - 1):
            d = posixpath.dirname(d)
        return posixpath.join(d, rest) if rest else d

    def js(self, path: str, text: str) -> set[str]:
        out: set[str] = set()
        for spec in JS_IMPORT_RE.findall(text):
            if not spec.startswith("."):
                continue
            rel = posixpath.normpath(posixpath.join(posixpath.dirname(path), spec))
            for c in [rel, *(rel + e for e in JS_EXTS), *(f"{rel}/index{e}" for e in JS_EXTS)]:
                if c in self.paths:
                    out.add(c)
                    break
        return out

    def go(self, path: str, text: str) -> set[str]:
        specs = GO_IMPORT_LINE_RE.findall(text)
        for block in GO_IMPORT_BLOCK_RE.findall(text):
            specs += re.findall(r'"([^"]+)"', block)
        out: set[str] = set()
        for spec in specs:
            parts = spec.split("/")
            for i in range(len(parts)):  # longest suffix of the import path that is a directory here
                d = "/".join(parts[i:])
                files = [
                    p for p in self.by_dir.get(d, []) if p.endswith(".go") and not p.endswith("_test.go")
                ]
                if files:
                    out.update(files)
                    break
        return out

    def java(self, path: str, text: str) -> set[str]:
        out: set[str] = set()
        for name, star in JAVA_IMPORT_RE.findall(text):
            rel = name.replace(".", "/")
            if star:
                out.update(
                    p for d, ps in self.by_dir.items() if d == rel or d.endswith("/" + rel) for p in ps
                )
            else:
                out.update(self.suffix(rel + ".java"))
        return {p for p in out if p.endswith(".java")}

    def csharp(self, path: str, text: str) -> set[str]:
        """C# `using` names namespaces, not files: match type names used in the file to `Type.cs` files
        that live under a directory matching an imported (or the file's own) namespace tail."""
        namespaces = {ns.split(".")[-1] for ns in CS_USING_RE.findall(text)}
        namespaces |= set(re.findall(r"^\s*namespace\s+([\w.]+)", text, re.M))
        out: set[str] = set()
        for typ in set(CS_TYPE_RE.findall(text)):
            for p in self.by_name.get(f"{typ}.cs", []):
                parent = posixpath.basename(posixpath.dirname(p))
                if parent in namespaces or any(ns.endswith(parent) for ns in namespaces) or parent == "":
                    out.add(p)
                elif posixpath.dirname(p) == posixpath.dirname(path):
                    out.add(p)
        return out


RESOLVERS = {
    "Python": ImportResolver.python,
    "JavaScript": ImportResolver.js,
    "TypeScript": ImportResolver.js,
    "Go": ImportResolver.go,
    "Java": ImportResolver.java,
    "C#": ImportResolver.csharp,
}
# Extensions of the files that may import a file of each language above (JS and TS import each other;
# Python stubs and Cython, .pyi/.pyx, are not searched).
IMPORTER_EXTS = {
    "Python": (".py",),
    "JavaScript": JS_EXTS,
    "TypeScript": JS_EXTS,
    **{lang: tuple(e for e, x in EXTENSION_LANGUAGE.items() if x == lang) for lang in ("Go", "Java", "C#")},
}


def importer_search_words(path: str) -> list[str]:
    """Fixed strings a file importing `path` must contain (its module/file stem); used with git grep."""
    stem = posixpath.splitext(posixpath.basename(path))[0]
    if stem in ("__init__", "index"):
        stem = posixpath.basename(posixpath.dirname(path)) or stem
    return [stem] if len(stem) >= 2 else []


def same_language_globs(path: str) -> list[str]:
    return [f"*{e}" for e in IMPORTER_EXTS.get(language_of(path) or "", ())]


# --------------------------------------------------------------------------- other evidence
PATH_TOKEN_RE = re.compile(r"[\w./-]*\w\.[A-Za-z0-9]{1,8}\b|[\w-]+(?:/[\w.-]+)+")
TEST_AFFIX_RE = re.compile(r"^(test_|tests_)|(_test|_tests|\.test|\.spec|Test|Tests|_spec)$")


def named_in_text(text: str, by_name: Mapping[str, list[str]]) -> set[str]:
    """Tree paths (`by_name`: file name -> paths) whose full path, a path suffix, or a distinctive file
    name appears in the text."""
    if not text:
        return set()
    out: set[str] = set()
    for tok in set(PATH_TOKEN_RE.findall(text)):
        tok = tok.strip("./")
        name = posixpath.basename(tok)
        for p in by_name.get(name, []):
            if p == tok or p.endswith("/" + tok):
                out.add(p)
            elif "/" not in tok and "." in name and len(by_name[name]) <= 2 and len(name) >= 6:
                out.add(p)
    return out


def test_stem(path: str) -> str:
    stem = posixpath.splitext(posixpath.basename(path))[0]
    return TEST_AFFIX_RE.sub("", posixpath.splitext(stem)[0] if stem.endswith((".test", ".spec")) else stem)


def test_pairs(changed: list[str], by_stem: Mapping[tuple[str, str, bool], list[str]]) -> dict[str, str]:
    """Test files of changed sources and sources of changed tests -> partner (`by_stem`:
    `ImportResolver.by_stem` of the tree; a partner is a test where the changed file is not, or back)."""
    out: dict[str, str] = {}
    for c in changed:
        partner = (test_stem(c).lower(), language_of(c), not is_test_path(posixpath.basename(c)))
        for p in by_stem.get(partner, []):
            out.setdefault(p, c)
    return out


@dataclass
class CoChangeIndex:
    """Which files changed together in the repository's history (one `git log` per repository)."""

    commits: list[tuple[int, list[str]]] = field(default_factory=list)  # (commit time, paths)

    @classmethod
    def build(cls, repo: GitRepo, max_commits: int = 20000) -> CoChangeIndex:
        out = repo.run(
            "log", "--branches", "--no-merges", f"-n{max_commits}", "--format=%x01%ct", "--name-only"
        )
        commits: list[tuple[int, list[str]]] = []
        for block in out.decode("utf-8", "replace").split("\x01")[1:]:
            lines = [ln for ln in block.split("\n") if ln]
            if lines and len(lines) - 1 <= MAX_COCHANGE_FILES_PER_COMMIT:
                commits.append((int(lines[0]), lines[1:]))
        return cls(commits)

    def counts(self, changed: list[str], before_time: int) -> Counter:
        """Files co-changed with any changed path in commits strictly older than the PR's base."""
        changed_set, counts = set(changed), Counter()
        for t, paths in self.commits:
            if t < before_time and changed_set.intersection(paths):
                counts.update(p for p in paths if p not in changed_set)
        return counts


# --------------------------------------------------------------------------- predictors
class LocalPredictor:
    """Ranks unchanged files by summed evidence weights; the reason lists every piece of evidence."""

    name = "local"

    def predict(self, ctx: PRContext, k: int = DEFAULT_K) -> list[Relevant]:
        tree, changed = ctx.tree, set(ctx.changed_paths)
        scores: dict[str, float] = defaultdict(float)
        reasons: dict[str, list[str]] = defaultdict(list)

        def add(path: str, kind: str, why: str, weight: float = 1.0) -> None:
            if path in tree and path not in changed and len(reasons[path]) < 6:
                scores[path] += WEIGHTS[kind] * weight
                reasons[path].append(why)

        resolver = ImportResolver(tree)
        for path, text in ctx.changed_text.items():
            for dep in resolver.resolve(path, text):
                add(dep, "imported_by_changed", f"imported by {path}")
        for path, partner in self.importers(ctx, resolver).items():
            add(path, "imports_changed", f"imports {partner}")
        for path in named_in_text(ctx.text, resolver.by_name):
            add(path, "named_in_text", "named in issue/PR text")
        for path, partner in test_pairs(ctx.changed_paths, resolver.by_stem).items():
            add(path, "test_pair", f"test/source pair of {partner}")
        if ctx.cochange is not None:
            counts = ctx.cochange.counts(ctx.changed_paths, ctx.base_time)
            top = max(counts.values(), default=0)
            for path, n in counts.most_common(4 * k):
                if n < MIN_COCHANGES:
                    break
                add(path, "co_change", f"co-changed {n}x with changed files", n / top)
        ranked = sorted(scores, key=lambda p: (-scores[p], p))[: 4 * k]
        return [Relevant(p, round(scores[p], 4), "; ".join(reasons[p])) for p in ranked]

    @staticmethod
    def importers(ctx: PRContext, resolver: ImportResolver) -> dict[str, str]:
        """Files at base whose imports resolve to a changed file: one git grep for the changed files'
        stems (in files of their languages), then each candidate's imports are parsed and resolved.
        None in a blobless mirror, where the grep would fetch every blob it searches one by one."""
        if ctx.repo.partial:
            return {}
        targets = [c for c in ctx.changed_paths if c in ctx.tree and same_language_globs(c)]
        words = sorted({w for c in targets for w in importer_search_words(c)})
        globs = sorted({g for c in targets for g in same_language_globs(c)})
        out: dict[str, str] = {}
        if not words:
            return out
        changed = set(targets)
        for cand in ctx.repo.grep_files(ctx.base_commit, words, globs)[:MAX_IMPORTER_CANDIDATES]:
            entry = ctx.tree.get(cand)
            info = ctx.repo.info(entry.sha) if entry and cand not in changed else None
            if info is None or info[1] > 500_000:
                continue
            obj = ctx.repo.contents(entry.sha)
            if obj is None:
                continue
            hits = sorted(resolver.resolve(cand, obj[1].decode("utf-8", "replace")) & changed)
            if hits:
                out[cand] = hits[0]
        return out


LLM_SYSTEM = (
    "You are given a pull request description, the files it modified and the repository's file list. "
    "List the files that are relevant to the change but were NOT modified. Answer with a JSON array of paths."
)


@dataclass
class LLMPredictor:
    """Asks an OpenAI-compatible `/chat/completions` endpoint (e.g. vLLM) the paper's question."""

    url: str = DEFAULT_LLM_URL
    model: str = DEFAULT_LLM_MODEL
    timeout_s: float = DEFAULT_LLM_TIMEOUT_S
    max_listed_files: int = 3000
    api_key: str | None = None
    fallback: RelevantPredictor = field(default_factory=LocalPredictor)
    name: str = "llm"
    last_used: str = "llm"

    def prompt(self, ctx: PRContext) -> str:
        files = sorted(ctx.tree)[: self.max_listed_files]
        return (
            f"## Pull request\n{ctx.text.strip()[:8000]}\n\n## Modified files\n"
            + "\n".join(ctx.changed_paths)
            + "\n\n## Repository files\n"
            + "\n".join(files)
        )

    def ask(self, ctx: PRContext) -> str:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        resp = requests.post(
            self.url.rstrip("/") + "/chat/completions",
            json={
                "model": self.model,
                "temperature": 0,
                "messages": [
                    {"role": "system", "content": LLM_SYSTEM},
                    {"role": "user", "content": self.prompt(ctx)},
                ],
            },
            headers=headers,
            timeout=self.timeout_s,
        )
        resp.raise_for_status()
        return resp.json()["choices"][0]["message"]["content"]

    @staticmethod
    def parse(answer: str, tree: dict, changed: set[str]) -> list[str]:
        """Paths from a JSON array (anywhere in the answer) or from one-path-per-line text."""
        m = re.search(r"\[.*\]", answer, re.S)
        items: list = []
        if m:
            try:
                items = json.loads(m.group(0))
            except json.JSONDecodeError:
                items = []
        if not items:
            items = [ln.strip(" -*`'\"\t") for ln in answer.splitlines()]
        seen: list[str] = []
        for it in items:
            if isinstance(it, str) and it in tree and it not in changed and it not in seen:
                seen.append(it)
        if not seen:
            raise ValueError("answer names no unchanged file of the repository")
        return seen

    def predict(self, ctx: PRContext, k: int = DEFAULT_K) -> list[Relevant]:
        try:
            paths = self.parse(self.ask(ctx), ctx.tree, set(ctx.changed_paths))
            self.last_used = "llm"
            return [Relevant(p, round(1.0 / (i + 1), 4), "llm") for i, p in enumerate(paths)]
        except Exception as e:  # network, HTTP, JSON shape, empty answer: fall back, never fail the PR
            log.warning(
                "LLM predictor failed (%s); falling back to %s", redact_text(str(e))[:200], self.fallback.name
            )
            self.last_used = f"llm_fallback_{self.fallback.name}"
            return self.fallback.predict(ctx, k)


def select_within_budget(
    ranked: list[Relevant], ctx: PRContext, k: int, budget_bytes: int, max_file_bytes: int
) -> tuple[list[dict], dict[str, str]]:
    """Top-k text files that fit the byte budget: RELEVANT_FILE rows plus their contents by blob sha."""
    rows, blobs, used = [], {}, 0
    for rel in ranked:
        entry = ctx.tree.get(rel.path)
        if len(rows) >= k or entry is None or entry.mode not in ("100644", "100755"):
            continue
        info = ctx.repo.info(entry.sha)  # sizes only of candidates: a blobless mirror fetches each
        size = info[1] if info else None
        if size is None or size > max_file_bytes or used + size > budget_bytes:
            continue
        obj = ctx.repo.contents(entry.sha)
        if obj is None or b"\0" in obj[1]:
            continue
        try:
            blobs[entry.sha] = obj[1].decode("utf-8")
        except UnicodeDecodeError:
            continue
        used += size
        rows.append({"path": rel.path, "blob_sha": entry.sha, "score": rel.score, "reason": rel.reason})
    return rows, blobs
