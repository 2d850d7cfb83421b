"""swe-corpus: the open data side of SWE-RL (GH Archive + git clones -> curated PR corpora and RL seeds)."""

__version__ = "0.1.0"
