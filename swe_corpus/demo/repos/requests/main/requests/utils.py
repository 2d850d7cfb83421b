"""
requests.utils
~~~~~~~~~~~~~~

Utility functions used within Requests that are also useful for external consumption.
"""

import os

from .compat import basestring, builtin_str, is_py2


def guess_filename(obj):
    """Tries to guess the filename of the given object."""
    name = getattr(obj, "name", None)
    if name and isinstance(name, basestring) and name[0] != "<" and name[-1] != ">":
        return os.path.basename(name)


def to_native_string(string, encoding="ascii"):
    """Given a string object, regardless of type, returns a representation of that string in the
    native string type, encoding and decoding where necessary."""
    if isinstance(string, builtin_str):
        return string
    if is_py2:
        return string.encode(encoding)
    return string.decode(encoding)
