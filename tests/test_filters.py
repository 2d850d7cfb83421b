import pytest
from test_curate_rows import make_pr

from swe_corpus.filters import (
    BotFilter,
    FilterChain,
    FilterConfig,
    HunkFilter,
    LanguageFilter,
    LanguageIdentifier,
    SizeFilter,
    classify_hunks,
    default_lid_model_path,
)

CFG = FilterConfig()


@pytest.fixture(scope="module")
def chain():
    return FilterChain(FilterConfig())


# --------------------------------------------------------------------------- bots
@pytest.mark.parametrize(
    "kw,reason",
    [
        ({"user_type": "Bot", "user_login": "some-app"}, "bot_user_type"),
        ({"user_login": "dependabot[bot]"}, "bot_login"),
        ({"user_login": "CLAassistant"}, "bot_login"),  # BigCode exact name, mixed case
        ({"user_login": "Codecov-IO"}, "bot_login"),
        ({"user_login": "my-jenkins-runner"}, "bot_login"),
        ({"user_login": "acme-ci"}, "bot_login"),
        ({"user_login": "mergebot"}, "bot_login"),
        ({"title": "Bump lodash from 4.17.4 to 4.17.21"}, "bot_keyword"),
        ({"title": "chore(deps): bump serde to 1.0.190"}, "bot_keyword"),
        ({"body": "Bumps [requests](https://x) from 2.0 to 2.31."}, "bot_keyword"),
        ({"title": "Update dependency eslint to v8 (Renovate)"}, "bot_keyword"),
        ({"body": "Enable automerge for this PR"}, "bot_keyword"),
        ({"body": "Opened by dependabot on schedule"}, "bot_keyword"),
    ],
)
def test_bot_filter_rejects(kw, reason):
    verdict = BotFilter(CFG)(make_pr(**kw))
    assert verdict is not None and verdict.reason == reason, verdict


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"user_login": "talbot-smith"},  # 'bot' inside a name, not a suffix
        {"user_login": "robotics-fan"},
        {"title": "Fix overflow: bump buffer size in the reader"},  # a human fix mentioning bump mid-title
        {"body": "The renovated parser no longer crashes; automerged branches are handled."},
        {"user_login": "stalebread"},
    ],
)
def test_bot_filter_keeps_humans(kw):
    assert BotFilter(CFG)(make_pr(**kw)) is None


# --------------------------------------------------------------------------- sizes
def test_size_filter_rejects_empty_and_huge():
    empty = make_pr()
    empty.update(changed_files=[], patch="", test_patch="")
    assert SizeFilter(CFG)(empty).reason == "empty_change"
    many = make_pr(files={f"pkg/m{i}.py": ("a = 1\n", "a = 2\n") for i in range(60)})
    assert SizeFilter(CFG)(many).reason == "too_many_files"
    big_text = "".join(f"line {i}\n" for i in range(6000))
    assert SizeFilter(CFG)(make_pr(files={"big.py": ("", big_text)})).reason == "too_many_lines"
    wide = make_pr(files={"wide.py": ("", "x = '" + "y" * 600_000 + "'\n")})
    assert SizeFilter(CFG)(wide).reason == "patch_too_large"


def test_size_filter_keeps_normal_and_respects_thresholds():
    pr = make_pr()
    assert SizeFilter(CFG)(pr) is None
    assert SizeFilter(FilterConfig(max_changed_lines=1))(pr).reason == "too_many_lines"


# --------------------------------------------------------------------------- hunks
LOCK = {"package-lock.json": ('{"a": 1}\n', '{"a": 2}\n')}
VERSION = {
    "package.json": (
        '{\n  "version": "1.0.0",\n  "lodash": "^4.17.4"\n}\n',
        '{\n  "version": "1.0.1",\n  "lodash": "^4.17.21"\n}\n',
    )
}
PYVERSION = {"mypkg/__init__.py": ('__version__ = "1.2.3"\n', '__version__ = "1.2.4"\n')}
VENDORED = {"vendor/github.com/x/y.go": ("package y\n", "package y\n// v2\n")}
GENERATED = {"api/service_pb2.py": ("A = 1\n", "A = 2\n")}
MINIFIED = {"static/app.min.js": ("var a=1;\n", "var a=2;\n")}
REAL = {"src/main.py": ("def f():\n    return 1\n", "def f():\n    return 2\n")}


@pytest.mark.parametrize(
    "files", [LOCK, VERSION, PYVERSION, VENDORED, GENERATED, MINIFIED, {**LOCK, **VERSION}]
)
def test_hunk_filter_drops_prs_whose_hunks_are_all_trivial(files):
    verdict = HunkFilter(CFG)(make_pr(files=files))
    assert verdict is not None and verdict.reason == "all_hunks_filtered"


def test_hunk_filter_binary_only_and_mixed():
    pr = make_pr(files={"logo.png": (None, None)})
    pr["changed_files"] = [dict(pr["changed_files"][0], binary=True, status="modified")]
    pr["patch"] = "diff --git a/logo.png b/logo.png\nBinary files a/logo.png and b/logo.png differ\n"
    assert HunkFilter(CFG)(pr).reason == "all_hunks_filtered"
    assert HunkFilter(CFG)(make_pr(files={**LOCK, **REAL})) is None  # one real hunk keeps the PR
    assert HunkFilter(CFG)(make_pr(files=REAL)) is None
    code_in_package_json = {
        "package.json": ('{\n  "scripts": {"a": "b"}\n}\n', '{\n  "scripts": {"a": "c"}\n}\n')
    }
    assert classify_hunks(make_pr(files=code_in_package_json), CFG) == [None]


# --------------------------------------------------------------------------- language
def test_language_identifier_uses_bundled_lid176():
    assert default_lid_model_path().endswith("lid.176.ftz")
    lid = LanguageIdentifier()
    assert lid("The parser crashes when the configuration file is empty")[0] == "en"
    assert lid("Le programme plante quand le fichier de configuration est vide")[0] == "fr"
    assert lid("   ") == ("und", 0.0)


def test_language_filter_and_scores_are_always_stored(chain):
    pr = make_pr(
        title="Corrige le plantage",
        body="Le programme plante quand le fichier est vide. Cette modification renvoie les valeurs par défaut.",
        issue_title="Plantage avec un fichier de configuration vide",
        issue_body="Le chargement d'une configuration vide lève une exception au lieu de renvoyer les valeurs par défaut.",
    )
    row, verdict = chain(pr)
    assert verdict is None and row["text_language"] == "fr" and row["text_language_score"] > 0.5
    english_only = LanguageFilter(FilterConfig(languages=("en",)))
    assert english_only(row).reason == "language"
    en_row, _ = chain(make_pr())
    assert en_row["text_language"] == "en" and english_only(en_row) is None
    assert (
        LanguageFilter(FilterConfig(languages=("en",), min_language_score=1.01))(en_row).reason == "language"
    )


def test_chain_measures_and_reports_malformed(chain):
    row, verdict = chain(make_pr())
    assert verdict is None and row["num_changed_files"] == 1 and row["num_changed_lines"] == 2
    assert row["patch_bytes"] == len(row["patch"].encode())
    bad = make_pr()
    bad["instance_id"] = None
    assert chain(bad)[1].reason == "malformed"
