from confpy._env import env_key


def test_env_key_normalises_separators():
    assert env_key("CONFPY_", "db.host") == "CONFPY_DB_HOST"
    assert env_key("CONFPY_", "log-level") == "CONFPY_LOG_LEVEL"
