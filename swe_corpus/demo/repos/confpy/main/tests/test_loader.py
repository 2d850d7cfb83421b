from confpy.loader import Config, load, parse_lines


def test_parse_lines_skips_comments_and_blanks():
    assert parse_lines(["# comment", "", "name = demo"]) == {"name": "demo"}


def test_typed_accessors():
    config = Config({"debug": "yes", "workers": "4", "hosts": "a, b,,c"})
    assert config.get_bool("debug") is True
    assert config.get_int("workers") == 4
    assert config.get_list("hosts") == ["a", "b", "c"]


def test_environment_overrides(tmp_path):
    path = tmp_path / "app.conf"
    path.write_text("workers = 2\n")
    assert load(path, environ={"CONFPY_WORKERS": "8"}).get_int("workers") == 8
