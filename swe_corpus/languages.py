"""File extension -> programming language, the test-file rule and the context-file rule. Shared by extraction,
relevant-file prediction and curation."""

from __future__ import annotations

import posixpath
import re

EXTENSION_LANGUAGE: dict[str, str] = {
    ".py": "Python",
    ".pyi": "Python",
    ".pyx": "Cython",
    ".js": "JavaScript",
    ".jsx": "JavaScript",
    ".mjs": "JavaScript",
    ".cjs": "JavaScript",
    ".ts": "TypeScript",
    ".tsx": "TypeScript",
    ".mts": "TypeScript",
    ".cts": "TypeScript",
    ".go": "Go",
    ".java": "Java",
    ".kt": "Kotlin",
    ".kts": "Kotlin",
    ".scala": "Scala",
    ".cs": "C#",
    ".fs": "F#",
    ".vb": "Visual Basic",
    ".c": "C",
    ".h": "C",
    ".cc": "C++",
    ".cpp": "C++",
    ".cxx": "C++",
    ".hpp": "C++",
    ".hh": "C++",
    ".hxx": "C++",
    ".m": "Objective-C",
    ".mm": "Objective-C++",
    ".swift": "Swift",
    ".rs": "Rust",
    ".rb": "Ruby",
    ".php": "PHP",
    ".pl": "Perl",
    ".pm": "Perl",
    ".lua": "Lua",
    ".r": "R",
    ".jl": "Julia",
    ".dart": "Dart",
    ".ex": "Elixir",
    ".exs": "Elixir",
    ".erl": "Erlang",
    ".hs": "Haskell",
    ".ml": "OCaml",
    ".clj": "Clojure",
    ".groovy": "Groovy",
    ".sh": "Shell",
    ".bash": "Shell",
    ".zsh": "Shell",
    ".ps1": "PowerShell",
    ".sql": "SQL",
    ".vue": "Vue",
    ".svelte": "Svelte",
    ".html": "HTML",
    ".htm": "HTML",
    ".css": "CSS",
    ".scss": "SCSS",
    ".less": "Less",
    ".md": "Markdown",
    ".rst": "reStructuredText",
    ".txt": "Text",
    ".json": "JSON",
    ".yaml": "YAML",
    ".yml": "YAML",
    ".toml": "TOML",
    ".ini": "INI",
    ".cfg": "INI",
    ".xml": "XML",
    ".proto": "Protocol Buffers",
    ".tf": "HCL",
    ".gradle": "Groovy",
    ".cmake": "CMake",
}
FILENAME_LANGUAGE: dict[str, str] = {
    "Makefile": "Makefile",
    "Dockerfile": "Dockerfile",
    "CMakeLists.txt": "CMake",
    "BUILD": "Starlark",
    "BUILD.bazel": "Starlark",
}
# Languages whose files count as "programming files" (RL seeds need at least one).
PROGRAMMING_LANGUAGES = frozenset(
    {
        "Python",
        "Cython",
        "JavaScript",
        "TypeScript",
        "Go",
        "Java",
        "Kotlin",
        "Scala",
        "C#",
        "F#",
        "Visual Basic",
        "C",
        "C++",
        "Objective-C",
        "Objective-C++",
        "Swift",
        "Rust",
        "Ruby",
        "PHP",
        "Perl",
        "Lua",
        "R",
        "Julia",
        "Dart",
        "Elixir",
        "Erlang",
        "Haskell",
        "OCaml",
        "Clojure",
        "Groovy",
        "Shell",
        "PowerShell",
        "SQL",
        "Vue",
        "Svelte",
    }
)
# Test files by path structure (docs/extract.md, "Test files"): SWE-bench's gold patches follow path
# components and file-name patterns, not its collector's substring rule (`src/_pytest/`, `randtest.py` and
# `ext/doctest.py` are code).
# Test-support packages (`sympy/testing/`, `django/test/`, `numpy/testing/`) are tests too, as in the gold patches.
TEST_DIRS = frozenset(
    {
        "test",
        "tests",
        "testing",
        "__tests__",
        "spec",
        "specs",
        "e2e",
        "testdata",
        "test_data",
        "test-data",
        "__snapshots__",
    }
)
TEST_FILE_RE = re.compile(
    r"^(test_.*\.pyi?|.*_tests?\.py|tests?\.py|conftest\.py"  # pytest / unittest / Django's tests.py
    r"|.*_test\.go"
    r"|.*(Test|Tests|TestCase|IT)\.(java|kt|kts|scala|groovy)|.*Spec\.(scala|groovy|kt)"
    r"|.*[._-](test|spec)\.[cm]?[jt]sx?"  # foo.test.ts, foo.spec.js, foo-test.js
    r"|.*_(spec|test)\.rb|test_.*\.rb"
    r"|.*Tests?\.(cs|fs|vb|swift|m|mm)"
    r"|.*_(test|unittest)\.(c|cc|cpp|cxx|rs|exs|ex|erl|dart|php)|test_.*\.(c|cc|cpp)|.*Test\.php"
    r"|.*_spec\.lua|.*_test\.lua|test-.*\.(el|sh|bash)|.*\.bats)$"
)
# Documentation: SWE-bench's gold patches leave it out (changelog entries, AUTHORS, release notes, docs
# pages), so it goes to `doc_patch`, not `patch`. A test file is a test first (tests/roots/*/index.rst).
DOC_DIRS = frozenset({"doc", "docs", "documentation"})
# Changelog fragments (towncrier's `changes/123.bugfix`): only at the top of a repository and not for code,
# since these names are as likely code (a Django `news` app).
TOP_DOC_DIRS = frozenset(
    {
        "changelog",
        "changelog.d",
        "changelogs",
        "changes",
        "newsfragments",
        "news",
        "release-notes",
        "releasenotes",
        "whatsnew",
    }
)
PROSE_LANGUAGES = frozenset({"Markdown", "reStructuredText"})
PROSE_NAMES = frozenset(
    {
        "authors",
        ".mailmap",
        "contributing",
        "code_of_conduct",
        "changes",
        "changelog",
        "news",
        "history",
        "contributors",
        "thanks",
        "readme",
        "license",
        "licence",
        "copying",
        "notice",
        "maintainers",
        "release-notes",
        "releasenotes",
        "whatsnew",
    }
)
PROSE_EXTENSIONS = frozenset({".md", ".rst", ".txt", ".adoc", ".asciidoc", ".rdoc", ".textile", ""})
# Files never shown as code context or counted in its budget, though they may be in the patch: prose
# (changelogs, release notes, docs), generated, vendored and lock files.
LOCK_FILES = frozenset(
    {
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "npm-shrinkwrap.json",
        "Cargo.lock",
        "Gemfile.lock",
        "poetry.lock",
        "Pipfile.lock",
        "composer.lock",
        "go.sum",
        "mix.lock",
        "pubspec.lock",
        "uv.lock",
        "pdm.lock",
        "flake.lock",
        "packages.lock.json",
        "gradle.lockfile",
    }
)
GENERATED_RE = re.compile(
    r"(^|/)(vendor|third_party|node_modules|dist|site-packages|__generated__|generated)/"
    r"|\.min\.(js|css)$|\.bundle\.js$|_pb2(_grpc)?\.pyi?$|\.pb(\.gw)?\.go$|\.pb\.(cc|h)$|_generated\.go$"
    r"|\.designer\.cs$|\.g\.(cs|dart)$|\.freezed\.dart$"
)


def language_of(path: str) -> str | None:
    """Language by file name or extension (case-insensitive extension); None when unknown."""
    name = posixpath.basename(path)
    if name in FILENAME_LANGUAGE:
        return FILENAME_LANGUAGE[name]
    ext = posixpath.splitext(name)[1].lower()
    return EXTENSION_LANGUAGE.get(ext)


def is_programming_file(path: str) -> bool:
    return language_of(path) in PROGRAMMING_LANGUAGES


def is_test_path(path: str) -> bool:
    """A test file by path structure: a test directory component or a test file name (module comment)."""
    directories = path.split("/")
    name = directories.pop()
    if TEST_FILE_RE.match(name):
        return True
    return any(d in TEST_DIRS for d in directories)


def is_doc_path(path: str) -> bool:
    """Documentation, not code or tests: under a docs/changelog directory, Markdown or reStructuredText, or
    a prose file by name (AUTHORS, .mailmap, CHANGES.txt, ChangeLog; not requirements.txt)."""
    if is_test_path(path):
        return False
    directories = path.split("/")
    name = directories.pop()
    if any(d.lower() in DOC_DIRS for d in directories) or language_of(name) in PROSE_LANGUAGES:
        return True
    if directories and directories[0].lower() in TOP_DOC_DIRS and not is_programming_file(name):
        return True
    stem, ext = posixpath.splitext(name)
    return ext.lower() in PROSE_EXTENSIONS and stem.lower() in PROSE_NAMES


def is_code_file(path: str) -> bool:
    """A file a seed may show as code context and count in its budget: a programming file that is not
    generated, vendored or a lock file. Prose (`CHANGES`, `whats-new.rst`, docs) never is."""
    return (
        is_programming_file(path)
        and posixpath.basename(path) not in LOCK_FILES
        and not GENERATED_RE.search(path)
    )
