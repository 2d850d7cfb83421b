"""Test files by path structure and the code-context rule, on real repository layouts."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from swe_corpus.languages import is_code_file, is_doc_path, is_test_path

GOLD = Path(__file__).parent / "data" / "swebench-gold-paths.tsv"


@pytest.mark.parametrize(
    "path,is_test",
    [
        # pytest: the library lives in src/_pytest (the old substring rule filed it all as tests)
        ("src/_pytest/python.py", False),
        ("src/_pytest/assertion/rewrite.py", False),
        ("src/pytest/__init__.py", False),
        ("testing/test_skipping.py", True),
        ("testing/python/fixtures.py", True),
        ("testing/example_scripts/conftest.py", True),
        # sympy
        ("sympy/utilities/randtest.py", False),
        ("sympy/core/tests/test_basic.py", True),
        ("sympy/testing/quality_unicode.py", True),  # a test-support package: SWE-bench's test_patch
        ("sympy/core/contest.py", False),
        # sphinx
        ("sphinx/ext/doctest.py", False),
        ("sphinx/testing/fixtures.py", True),
        ("tests/roots/test-ext-autodoc/target/__init__.py", True),
        # Django
        ("django/db/models/query.py", False),
        ("tests/queries/tests.py", True),
        ("tests/auth_tests/models/custom_user.py", True),
        ("django/test/testcases.py", True),
        # requests, flask
        ("test_requests.py", True),
        ("requests/sessions.py", False),
        ("src/flask/testing.py", False),  # Flask's test client module is library code
        ("tests/static/index.html", True),
        # Go
        ("pkg/server/handler_test.go", True),
        ("pkg/server/handler.go", False),
        ("internal/testdata/input.json", True),
        ("pkg/testing/fake.go", True),
        ("cmd/contest/main.go", False),
        # Java / Kotlin (Maven and Gradle layouts)
        ("src/main/java/com/acme/Parser.java", False),
        ("src/test/java/com/acme/ParserTest.java", True),
        ("core/src/main/java/com/acme/Attestation.java", False),
        ("app/src/main/kotlin/LatestTests.kt", False),  # a main source set: not a test, whatever its name
        ("src/main/java/org/junit/Test.java", False),
        ("app/src/androidTest/java/com/acme/LoginTest.java", True),
        ("lib/src/commonTest/kotlin/Parser.kt", True),
        ("src/Acme.UnitTests/Helpers/Fixture.cs", True),
        ("Tests/FooTests/Mocks/MockClient.swift", True),
        ("Tests/helper.py", True),  # Pillow
        ("unittests/ADT/APIntTest.cpp", True),  # LLVM
        ("gcc/testsuite/gcc.dg/pr123.c", True),
        ("src/components/__mocks__/api.ts", True),
        ("src/lexer/tests.rs", True),
        ("Lib/idlelib/idle_test/test_run.py", True),
        ("compiler/rustc_target/src/spec/mod.rs", False),  # spec/ holds code outside Ruby and JS
        ("spec/fixtures/users.json", True),
        ("src/main/kotlin/com/squareup/kotlinpoet/TypeSpec.kt", False),
        ("django/core/management/commands/test.py", False),
        ("src/main/java/com/acme/ContestEntry.java", False),
        # TypeScript / JavaScript
        ("src/components/Button.tsx", False),
        ("src/components/Button.test.tsx", True),
        ("src/utils/date.spec.ts", True),
        ("src/__tests__/date.ts", True),
        ("e2e/login.ts", True),
        ("src/latest.ts", False),
        ("lib/protester.js", False),
        # Ruby, Rust, C#
        ("spec/models/user_spec.rb", True),
        ("lib/attestation.rb", False),
        ("src/parser.rs", False),
        ("tests/integration.rs", True),
        ("src/Acme.Tests/ParserTests.cs", True),
        ("src/Acme/Parser.cs", False),
    ],
)
def test_test_files_by_path_structure(path, is_test):
    assert is_test_path(path) is is_test


def test_agrees_with_every_swebench_gold_patch():
    """Every file of the 800 SWE-bench Lite/Verified gold patches is code (neither test nor documentation),
    every test_patch file a test."""
    with GOLD.open() as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert len(rows) > 700
    wrong = [
        (r["repo"], r["path"], r["gold"])
        for r in rows
        if is_test_path(r["path"]) != (r["gold"] == "test_patch")
    ]
    assert wrong == []
    assert [r["path"] for r in rows if is_doc_path(r["path"])] == []  # gold patches hold no documentation


@pytest.mark.parametrize(
    "path,code",
    [
        ("sympy/core/basic.py", True),
        ("src/App.tsx", True),
        ("CHANGES", False),
        ("CHANGES.rst", False),
        ("doc/whats-new.rst", False),
        ("ChangeLog", False),
        ("docs/releases/4.2.txt", False),
        ("README.md", False),
        ("setup.cfg", False),
        ("package-lock.json", False),
        ("Cargo.lock", False),
        ("go.sum", False),
        ("yarn.lock", False),
        ("static/js/jquery.min.js", False),
        ("api/v1/service_pb2.py", False),
        ("api/v1/service.pb.go", False),
        ("vendor/github.com/pkg/errors/errors.go", False),
        ("node_modules/left-pad/index.js", False),
        ("third_party/zlib/inflate.c", False),
        ("src/cmd/dist/build.go", True),
    ],
)
def test_code_context_files(path, code):
    assert is_code_file(path) is code


@pytest.mark.parametrize(
    "path,doc",
    [
        ("CHANGES.rst", True),
        ("AUTHORS", True),
        (".mailmap", True),
        ("changelog/9877.bugfix.rst", True),
        ("doc/whats-new.rst", True),
        ("docs/releases/4.2.txt", True),
        ("docs/conf.py", True),
        ("ChangeLog", True),
        ("src/pkg/README.md", True),
        ("requirements.txt", False),
        ("CMakeLists.txt", False),
        ("setup.cfg", False),
        ("news/models.py", False),
        ("changes/1234.bugfix", True),
        ("src/twisted/newsfragments/12345.bugfix", True),
        (".changelog/12345.txt", True),
        ("LICENSE-MIT", True),
        ("src/go/doc/reader.go", False),  # a nested doc/ package is code
        ("doc/md_docs.go", True),  # the top-level docs build
        ("docs/models.py", True),
        ("apps/news/models.py", False),
        ("src/changes/diff.py", False),
        ("tests/roots/test-root/index.rst", False),  # a test fixture: test_patch
        ("django/contrib/admin/templates/admin/base.html", False),
    ],
)
def test_documentation_is_apart_from_the_patch(path, doc):
    assert is_doc_path(path) is doc


def test_one_lock_file_rule_for_code_context_and_hunk_filters():
    from swe_corpus.filters import file_kind
    from swe_corpus.languages import is_code_file, is_lock_file

    for path in ("package-lock.json", "web/Yarn.lock", "Cargo.lock", "go.sum", "deps/custom.lock"):
        assert is_lock_file(path) and file_kind(path, {}) == "lock_file" and not is_code_file(path)
    assert not is_lock_file("src/lock.py") and is_code_file("src/lock.py")
