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
# Test-support packages (`sympy/testing/`, `django/test/`, `numpy/testing/`) are tests too, as in the gold
# patches. Directory names are compared lower-cased (Pillow's `Tests/`).
TEST_DIRS = frozenset(
    {
        "test",
        "tests",
        "testing",
        "__tests__",
        "__mocks__",
        "e2e",
        "testdata",
        "test_data",
        "test-data",
        "__snapshots__",
        "unittests",
        "unit_tests",
        "unit-tests",
        "integration_tests",
        "integration-tests",
        "testsuite",
        "test-suite",
        "idle_test",
    }
)
# `spec/` holds RSpec and Jasmine specs, but elsewhere it is code (rustc's `rustc_target/src/spec/`).
SPEC_DIRS = frozenset({"spec", "specs"})
SPEC_LANGUAGES = frozenset({"Ruby", "JavaScript", "TypeScript"})
# Source sets and projects named for their tests: Gradle's `androidTest/`, `integrationTest/`,
# `commonTest/`; .NET's `Foo.Tests/`, `Foo.UnitTests/`; SwiftPM's `Tests/FooTests/`.
TEST_DIR_RE = re.compile(r".*[a-z0-9](Test|Tests)|.+[._-](Tests?|UnitTests?|tests?|unittests?)")
# Main source sets: a file name there is not a test whatever it says (JUnit's own `Test.java`).
MAIN_SOURCE_RE = re.compile(r"(^|/)src/(main|commonMain|jvmMain|androidMain)/")
TEST_FILE_RE = re.compile(
    r"^(test_.*\.pyi?|.*_tests?\.py|tests\.py|conftest\.py"  # pytest / unittest / Django's tests.py
    r"|.*_test\.go"
    r"|.*(Test|Tests|TestCase|IT)\.(java|kt|kts|scala|groovy)|.*Spec\.(scala|groovy)"
    r"|.*[._-](test|spec)\.[cm]?[jt]sx?"  # foo.test.ts, foo.spec.js, foo-test.js
    r"|.*_(spec|test)\.rb|test_.*\.rb"
    r"|.*Tests?\.(cs|fs|vb|swift|m|mm|c|cc|cpp|cxx|h|hpp)"  # .NET, XCTest, LLVM's APIntTest.cpp
    r"|.*_(test|unittest)\.(c|cc|cpp|cxx|rs|exs|ex|erl|dart|php)|test_.*\.(c|cc|cpp)|.*Test\.php|tests\.rs"
    r"|.*_spec\.lua|.*_test\.lua|test-.*\.(el|sh|bash)|.*\.bats)$"
)
# Documentation: SWE-bench's gold patches leave it out (changelog entries, AUTHORS, release notes, docs
# pages), so it goes to `doc_patch`, not `patch`. A test file is a test first (tests/roots/*/index.rst).
# Code under a nested `doc/` is code (Go's `src/go/doc/`, cobra's `doc/` package); at the top of a
# repository it belongs to the documentation build (`docs/conf.py`).
DOC_DIRS = frozenset({"doc", "docs", "documentation"})
# Changelog fragments (towncrier's `newsfragments/123.bugfix`), never code: these names anywhere...
FRAGMENT_DIRS = frozenset(
    {"newsfragments", "changelog.d", ".changelog", "changelogs", "release-notes", "releasenotes"}
)
# ...and these only at the top of a repository, since nested they are as likely an app (`news/`).
TOP_DOC_DIRS = frozenset({"changelog", "changes", "news", "whatsnew"})
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
# (changelogs, release notes, docs), generated, vendored and lock files. Lock files by lower-case name
# (any `*.lock` is one too: `is_lock_file`, also the hunk filters' rule).
LOCK_FILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lockb",
        "cargo.lock",
        "poetry.lock",
        "pipfile.lock",
        "pdm.lock",
        "uv.lock",
        "composer.lock",
        "gemfile.lock",
        "go.sum",
        "podfile.lock",
        "packages.lock.json",
        "flake.lock",
        "mix.lock",
        "pubspec.lock",
        "gradle.lockfile",
        "package.resolved",
    }
)
GENERATED_RE = re.compile(
    r"(^|/)(vendor|third_party|node_modules|site-packages|__generated__|generated)/"
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


def is_lock_file(path: str) -> bool:
    """A dependency lock file (package-lock.json, Cargo.lock, go.sum, any `*.lock`), case-insensitively."""
    name = posixpath.basename(path).lower()
    return name in LOCK_FILES or name.endswith(".lock")


def is_programming_file(path: str) -> bool:
    return language_of(path) in PROGRAMMING_LANGUAGES


def is_test_path(path: str) -> bool:
    """A test file by path structure: a test directory component or a test file name (module comment)."""
    directories = path.split("/")
    name = directories.pop()
    if TEST_FILE_RE.match(name) and not MAIN_SOURCE_RE.search(path):
        return True
    lowered = [d.lower() for d in directories]
    if any(d in TEST_DIRS for d in lowered) or any(TEST_DIR_RE.fullmatch(d) for d in directories):
        return True
    if any(d in SPEC_DIRS for d in lowered):
        language = language_of(name)
        return language in SPEC_LANGUAGES or language not in PROGRAMMING_LANGUAGES
    return False


def is_doc_path(path: str) -> bool:
    """Documentation, not code or tests: Markdown or reStructuredText; anything under a top-level
    docs/changelog directory, and what is not code under a nested `doc/` or a fragments directory; a prose
    file by name (AUTHORS, .mailmap, CHANGES.txt, ChangeLog, LICENSE-MIT; not requirements.txt)."""
    if is_test_path(path):
        return False
    *directories, name = path.lower().split("/")
    if language_of(name) in PROSE_LANGUAGES or (directories and directories[0] in DOC_DIRS):
        return True
    if not is_programming_file(name) and (
        any(d in DOC_DIRS or d in FRAGMENT_DIRS for d in directories)
        or (directories and directories[0] in TOP_DOC_DIRS)
    ):
        return True
    stem, ext = posixpath.splitext(name)
    prose_name = stem in PROSE_NAMES or stem.split("-", 1)[0] in ("license", "licence", "copying")
    return ext in PROSE_EXTENSIONS and prose_name


def is_code_file(path: str) -> bool:
    """A file a seed may show as code context and count in its budget: a programming file that is not
    generated, vendored or a lock file. Prose (`CHANGES`, `whats-new.rst`, docs) never is."""
    return is_programming_file(path) and not is_lock_file(path) and not GENERATED_RE.search(path)
