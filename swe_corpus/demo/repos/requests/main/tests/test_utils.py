from requests.models import PreparedRequest
from requests.utils import guess_filename, to_native_string


def test_to_native_string():
    assert to_native_string(b"GET") == "GET"


def test_guess_filename():
    class Named:
        name = "/tmp/upload.txt"

    assert guess_filename(Named()) == "upload.txt"


def test_prepare_method_uppercases():
    request = PreparedRequest()
    request.prepare_method("get")
    assert request.method == "GET"
