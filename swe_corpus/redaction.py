"""One rule for secrets in URLs, wherever a URL can reach a log, an error, a manifest or a `rejected` row:
no `user:token@` and no query or fragment (signed-URL tokens). Plain regexes, so redacting never fails,
whatever the text (a malformed port or IPv6 host makes `urllib.parse` raise)."""

from __future__ import annotations

import re

# Userinfo runs to the LAST `@` of the URL's token: a password may hold `@` or `/` unencoded (git and
# curl take it so), and stopping at the first one left the rest of the secret in the text. A path
# holding `@` is redacted too: safe, if less readable.
_URL_CREDENTIALS_RE = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^\s'\"]*@")
_URL_QUERY_RE = re.compile(r"(?P<url>[a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#'\"]+)[?#][^\s'\"]*")


def redact_text(text: str) -> str:
    """Every URL in free text (errors, git output): credentials shown as `***@`, query and fragment gone."""
    return _URL_QUERY_RE.sub(r"\g<url>", _URL_CREDENTIALS_RE.sub(r"\g<scheme>***@", text))


def redact_url(url: str) -> str:
    """One URL for display: credentials, query and fragment gone; anything else is returned unchanged."""
    return _URL_QUERY_RE.sub(r"\g<url>", _URL_CREDENTIALS_RE.sub(r"\g<scheme>", url))
