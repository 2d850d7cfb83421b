"""The one rejection type, its row, the errors that carry a reason, and the one router (no pipeline)."""

from apache_beam.pvalue import TaggedOutput

from pipelines.common import REJECTED_TAG, rejected_output
from swe_corpus.decompress import StreamBreak
from swe_corpus.event_normalize import UnusableEvent
from swe_corpus.extract import ExtractError
from swe_corpus.gharchive import DownloadError
from swe_corpus.git_mirror import MirrorError
from swe_corpus.git_repo import GitError
from swe_corpus.github_api import HydrationError, NotFound
from swe_corpus.rejects import (
    DETAIL_CHARS,
    RAW_PREFIX_BYTES,
    RejectError,
    Rejection,
    error_rejection,
    rejection,
)
from swe_corpus.stages import CHAINED_STAGES, CURATE_STAGES, PIPELINE_STAGES


def test_a_rejection_of_a_pr_is_the_row_of_its_fields():
    r = Rejection("filter", "bot_login", "x" * 5000).of({"instance_id": "o__r-1", "repo": "o/r", "n": 1})
    assert r.row() == {
        **rejection("filter", "bot_login", "x" * DETAIL_CHARS),
        "instance_id": "o__r-1",
        "repo": "o/r",
    }
    line = Rejection("ingest", "not_json", source_file="h.json.gz", line_number=3, raw=b"\xff{" * 300).row()
    assert line["raw_prefix"].startswith("\ufffd{") and len(line["raw_prefix"]) == RAW_PREFIX_BYTES


def test_every_error_with_a_reason_is_a_reject_error():
    errors = [
        ExtractError("no_merge_base", "d"),
        GitError("git_timeout", "https://u:secret@h/x failed"),
        MirrorError("repo_not_found", "d"),
        HydrationError("d"),
        NotFound("d"),
        DownloadError("d", "download_timeout"),
        UnusableEvent("number_out_of_range", "d"),
        StreamBreak("truncated_gzip", "d"),
    ]
    assert all(isinstance(e, RejectError) for e in errors)
    reasons = [e.reason for e in errors]
    assert reasons[3:5] == ["api_error", "not_found"] and reasons[5] == "download_timeout"
    r = errors[1].rejection("extract", instance_id="o__r-1", repo="o/r")
    assert (r.stage, r.reason, r.instance_id) == (
        "extract",
        "git_timeout",
        "o__r-1",
    ) and "secret" not in r.detail
    assert isinstance(errors[5], RuntimeError) and isinstance(errors[6], ValueError)  # as before


def test_a_defect_is_an_error_rejection():
    r = error_rejection("decontaminate", KeyError("repo"))
    assert (r.stage, r.reason, r.detail) == ("decontaminate", "error", "KeyError: 'repo'")


def test_the_router_emits_the_row_on_the_rejected_output():
    r = Rejection("dedup", "near_duplicate", "duplicate of a", instance_id="o__r-2", repo="o/r")
    out = rejected_output(r)
    assert isinstance(out, TaggedOutput) and out.tag == REJECTED_TAG and out.value == r.row()


def test_stage_names_in_funnel_order():
    assert PIPELINE_STAGES[0] == "ingest" and PIPELINE_STAGES[-1] == "rl_seed"
    assert CURATE_STAGES == ("filter", "decontaminate", "dedup", "rl_seed")
    assert CHAINED_STAGES == ("extract", *CURATE_STAGES)
