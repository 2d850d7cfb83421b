"""File extension -> programming language, and SWE-bench's test-path rule. Shared by extraction and curation."""

from __future__ import annotations

import posixpath

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
# SWE-bench's collector puts a file diff into test_patch when any of these occurs in its path.
SWE_BENCH_TEST_WORDS = ("test", "tests", "e2e", "testing")


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
    """SWE-bench's split: a word of SWE_BENCH_TEST_WORDS anywhere in the path (substring, as they do)."""
    return any(word in path for word in SWE_BENCH_TEST_WORDS)
