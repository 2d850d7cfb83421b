"""
requests.compat
~~~~~~~~~~~~~~~

Python 2/3 compatibility names.
"""

import sys

is_py2 = sys.version_info[0] == 2

builtin_str = str
basestring = (str, bytes)
