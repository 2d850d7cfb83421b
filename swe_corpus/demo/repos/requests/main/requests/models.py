"""
requests.models
~~~~~~~~~~~~~~~

The objects that power Requests.
"""

from .compat import builtin_str


class PreparedRequest:
    """The fully mutable request object, containing the exact bytes that will be sent."""

    def __init__(self):
        self.method = None
        self.url = None

    def prepare_method(self, method):
        """Prepares the given HTTP method."""
        self.method = method
        if self.method is not None:
            self.method = builtin_str(self.method.upper())
