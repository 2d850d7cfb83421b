from confpy.loader import Config


def test_get_float():
    assert Config({"ratio": "0.25"}).get_float("ratio") == 0.25
    assert Config({}).get_float("ratio", 1.5) == 1.5
