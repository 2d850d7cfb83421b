"""The stages of the funnel, named once, in pipeline order: every counter, rejected row, manifest,
summary and chart takes its stage names from here."""

from __future__ import annotations

INGEST = "ingest"
PRS = "prs"
HYDRATE = "hydrate"
LINK = "link"
EXTRACT = "extract"
FILTER = "filter"
DECONTAMINATE = "decontaminate"
DEDUP = "dedup"
RL_SEED = "rl_seed"
# Issues assembled from the events (issues:in = issues:kept + rejected:duplicate_item_key): counted by
# the prs stage beside the PRs' path, so it follows the pipeline's stages in the funnel.
ISSUES = "issues"

# Every stage of `swe-corpus corpus`, in pipeline order (the funnel is printed and charted in this order).
PIPELINE_STAGES = (INGEST, PRS, HYDRATE, LINK, EXTRACT, FILTER, DECONTAMINATE, DEDUP, RL_SEED)
# The stages of `swe-corpus curate`.
CURATE_STAGES = PIPELINE_STAGES[PIPELINE_STAGES.index(FILTER) :]
# Stages each of whose kept records all go on to the next: kept of one = in of the next.
CHAINED_STAGES = PIPELINE_STAGES[PIPELINE_STAGES.index(EXTRACT) :]
# The funnel counters of `swe-corpus prs`, in the order its summary prints them.
PRS_STAGES = (PRS, HYDRATE, LINK, ISSUES)
