"""Arrow/Parquet schemas of every table swe-corpus writes: the one source of truth.

Writers build their tables with these schemas, tests read the outputs back against them, and
`docs/schema.md` is generated from them (`python -m schemas`). Each table lives in its own
directory of Parquet shards under the output directory: ``OUT/<table>/*.parquet``.

The ``pull_requests`` table grows column groups as it moves through the stages:
assembly (``PULL_REQUESTS``) -> code extraction (``PULL_REQUESTS_EXTRACTED``) ->
curation (``PULL_REQUESTS_CURATED``). Each later schema is a strict superset of the earlier one.
"""

from schemas.tables import (
    BLOBS,
    EVENTS,
    ISSUES,
    PULL_REQUESTS,
    PULL_REQUESTS_CURATED,
    PULL_REQUESTS_EXTRACTED,
    REJECTED,
    RL_SEED,
    TABLES,
    schema_markdown,
)

__all__ = [
    "BLOBS",
    "EVENTS",
    "ISSUES",
    "PULL_REQUESTS",
    "PULL_REQUESTS_CURATED",
    "PULL_REQUESTS_EXTRACTED",
    "REJECTED",
    "RL_SEED",
    "TABLES",
    "schema_markdown",
]
