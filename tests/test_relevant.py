"""Relevant-file predictors on a small multi-language repository whose answer is known."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers.git import RepoBuilder

from swe_corpus.git_repo import GitRepo
from swe_corpus.languages import EXTENSION_LANGUAGE
from swe_corpus.relevant import (
    JS_EXTS,
    CoChangeIndex,
    ImportResolver,
    LLMPredictor,
    LocalPredictor,
    PRContext,
    named_in_text,
    same_language_globs,
    select_within_budget,
)

FILES = {
    # Python: app/service.py imports app/helpers.py; app/cli.py imports app/service.py
    "app/__init__.py": "",
    "app/helpers.py": "def slug(s):\n    return s.lower()\n",
    "app/service.py": "from app.helpers import slug\nfrom . import models\n\n\ndef run(x):\n    return slug(x)\n",
    "app/models.py": "class Model:\n    pass\n",
    "app/cli.py": "import app.service\n\n\ndef main():\n    app.service.run('X')\n",
    "tests/test_service.py": "from app.service import run\n\n\ndef test_run():\n    assert run('A') == 'a'\n",
    "app/unrelated.py": "VALUE = 1\n",
    "config/settings.yaml": "debug: false\n",
    # JS/TS
    "web/src/app.ts": "import { fmt } from './util/format';\nconst x = require('../lib/legacy');\n",
    "web/src/util/format.ts": "export const fmt = (s: string) => s;\n",
    "web/lib/legacy.js": "module.exports = {};\n",
    "web/src/page.tsx": "import App from './app';\n",
    # Go
    "go/cmd/main.go": 'package main\n\nimport (\n\t"fmt"\n\t"example.com/proj/go/internal/store"\n)\n\nfunc main() { fmt.Println(store.Get()) }\n',
    "go/internal/store/store.go": "package store\n\nfunc Get() int { return 1 }\n",
    "go/internal/store/store_test.go": "package store\n",
    # Java
    "java/src/com/acme/App.java": "package com.acme;\n\nimport com.acme.util.Strings;\n\nclass App {}\n",
    "java/src/com/acme/util/Strings.java": "package com.acme.util;\n\npublic class Strings {}\n",
    # C#
    "cs/Acme/Program.cs": "using Acme.Core;\n\nnamespace Acme {\n  class Program { static void Main() { var r = new Repository(); } }\n}\n",
    "cs/Acme/Core/Repository.cs": "namespace Acme.Core {\n  public class Repository {}\n}\n",
    "cs/Acme/Core/Other.cs": "namespace Acme.Core { public class Other {} }\n",
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    b = RepoBuilder(tmp_path_factory.mktemp("rel") / "work")
    for path, text in FILES.items():
        b.write(path, text)
    b.commit("initial")
    for i in range(3):  # history: service.py and models.py change together
        b.write("app/service.py", FILES["app/service.py"] + f"# {i}\n")
        b.write("app/models.py", FILES["app/models.py"] + f"# {i}\n")
        b.commit(f"co-change {i}")
    base = b.commit("base")
    with GitRepo(b.path / ".git") as r:
        yield r, base, r.commit_fields(base)["committer"][0].split()[-2]


def context(repo, changed: list[str], text: str = "") -> PRContext:
    r, base, t = repo
    tree = r.tree(base)
    contents = {p: r.contents(tree[p].sha)[1].decode() for p in changed}
    return PRContext(r, base, changed, contents, text, int(t) + 1, CoChangeIndex.build(r))


def test_import_resolution_per_language(repo):
    r, base, _ = repo
    res = ImportResolver(r.tree(base))
    assert res.resolve("app/service.py", FILES["app/service.py"]) == {"app/helpers.py", "app/models.py"}
    assert res.resolve("web/src/app.ts", FILES["web/src/app.ts"]) == {
        "web/src/util/format.ts",
        "web/lib/legacy.js",
    }
    assert res.resolve("go/cmd/main.go", FILES["go/cmd/main.go"]) == {"go/internal/store/store.go"}
    assert res.resolve("java/src/com/acme/App.java", FILES["java/src/com/acme/App.java"]) == {
        "java/src/com/acme/util/Strings.java"
    }
    assert res.resolve("cs/Acme/Program.cs", FILES["cs/Acme/Program.cs"]) == {"cs/Acme/Core/Repository.cs"}


def test_local_predictor_finds_known_answer(repo):
    ctx = context(repo, ["app/service.py"], "Crash when config/settings.yaml has debug: true")
    ranked = LocalPredictor().predict(ctx, k=10)
    by_path = {r.path: r for r in ranked}
    assert ranked[0].path in ("app/helpers.py", "app/models.py")
    assert "imported by app/service.py" in by_path["app/helpers.py"].reason
    assert "co-changed 4x" in by_path["app/models.py"].reason
    assert "imports app/service.py" in by_path["app/cli.py"].reason
    assert "test/source pair" in by_path["tests/test_service.py"].reason
    assert by_path["config/settings.yaml"].reason == "named in issue/PR text"
    assert "app/unrelated.py" not in by_path and "app/service.py" not in by_path
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)
    rows, blobs = select_within_budget(ranked, ctx, k=2, budget_bytes=10_000, max_file_bytes=10_000)
    tree = ctx.tree
    assert [row["path"] for row in rows] == [r.path for r in ranked[:2]]
    assert all(blobs[row["blob_sha"]] == ctx.repo.contents(tree[row["path"]].sha)[1].decode() for row in rows)
    tight, _ = select_within_budget(ranked, ctx, k=10, budget_bytes=60, max_file_bytes=10_000)
    assert sum(len(FILES[row["path"]]) for row in tight) <= 60


def test_importers_in_other_languages(repo):
    by_path = {r.path: r for r in LocalPredictor().predict(context(repo, ["web/src/app.ts"]), k=10)}
    assert "imports web/src/app.ts" in by_path["web/src/page.tsx"].reason
    assert "imported by" in by_path["web/lib/legacy.js"].reason
    go = {r.path: r for r in LocalPredictor().predict(context(repo, ["go/internal/store/store.go"]), k=10)}
    assert "imports go/internal/store/store.go" in go["go/cmd/main.go"].reason
    assert "go/internal/store/store_test.go" in go


def test_named_in_text_needs_a_real_path():
    by_name = ImportResolver({"a/b/readme_section.md": None, "x.py": None}).by_name
    assert named_in_text("see a/b/readme_section.md and b/readme_section.md", by_name) == {
        "a/b/readme_section.md"
    }
    assert named_in_text("nothing here", by_name) == set()


def test_importer_globs_follow_the_language_table():
    js_ts = {e for e, lang in EXTENSION_LANGUAGE.items() if lang in ("JavaScript", "TypeScript")}
    assert set(JS_EXTS) == js_ts and len(JS_EXTS) == len(js_ts)
    assert same_language_globs("a/b.py") == ["*.py"]  # not stubs (.pyi)
    assert same_language_globs("web/x.tsx") == [f"*{e}" for e in JS_EXTS]
    assert same_language_globs("A.java") == ["*.java"] and same_language_globs("README.md") == []


class ChatHandler(BaseHTTPRequestHandler):
    """A tiny OpenAI-compatible /v1/chat/completions; the answer depends on the requested model."""

    requests: list = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ChatHandler.requests.append(body)
        if self.path != "/v1/chat/completions":
            self.send_response(404)
            self.end_headers()
            return
        content = {
            "good": 'Relevant files:\n```json\n["app/helpers.py", "app/service.py", "nope/missing.py", "app/models.py"]\n```',
            "malformed": "I think maybe the helpers? [not json",
        }.get(body["model"])
        if content is None:
            self.send_response(500)
            self.end_headers()
            return
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture(scope="module")
def chat_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ChatHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_llm_predictor_parses_answer_and_falls_back(repo, chat_url):
    ctx = context(repo, ["app/service.py"], "Fix slug handling")
    llm = LLMPredictor(url=chat_url, model="good", timeout_s=5)
    ranked = llm.predict(ctx, k=5)
    assert [r.path for r in ranked] == [
        "app/helpers.py",
        "app/models.py",
    ]  # changed and unknown paths dropped
    assert llm.last_used == "llm" and ranked[0].reason == "llm"
    sent = ChatHandler.requests[-1]["messages"][1]["content"]
    assert "Fix slug handling" in sent and "app/service.py" in sent and "cs/Acme/Program.cs" in sent
    for model in ("malformed", "server-error"):
        llm = LLMPredictor(url=chat_url, model=model, timeout_s=5)
        ranked = llm.predict(ctx, k=5)
        assert llm.last_used == "llm_fallback_local"
        assert "app/helpers.py" in [r.path for r in ranked]
