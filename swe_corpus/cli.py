"""`swe-corpus` command line. Each subcommand lives in its stage module, which provides
`add_arguments(parser)` and `run(args, extra_args) -> int`. Pipeline commands pass unknown
arguments through to Beam (`--runner DataflowRunner --project ...`, `--direct_num_workers 2`, ...).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys

from swe_corpus.errors import ConfigError
from swe_corpus.paths import absolute_location
from swe_corpus.procs import signals_end_children

# name -> (module, help, accepts Beam pass-through args)
COMMANDS: dict[str, tuple[str, str, bool]] = {
    "ingest": ("pipelines.ingest", "GH Archive hours -> events table", True),
    "prs": ("pipelines.prs", "events -> pull_requests (+ issues) with linked issues", True),
    "extract": ("pipelines.extract", "pull_requests -> code from git clones (+ blobs)", True),
    "curate": ("pipelines.curate", "filters, dedup, decontamination -> pull_requests, rl_seed", True),
    "corpus": ("pipelines.corpus", "every stage end to end (offline demo world by default)", True),
    "demo": ("swe_corpus.demo", "generate the offline demo world (git repos + GH Archive hours)", False),
    "query": ("swe_corpus.explore", "run DuckDB SQL over an output directory", False),
    "stats": (
        "swe_corpus.explore",
        "funnel, languages, repos, size percentiles of an output directory",
        False,
    ),
    "report": ("swe_corpus.explore", "write report.html with charts into an output directory", False),
    "train": ("training.train", "GRPO training on rl_seed shards (TRL)", False),
    "evaluate": ("training.evaluate", "sample completions, write SWE-bench predictions JSONL", False),
    "export-prompts": (
        "training.export",
        "rl_seed -> a prompt dataset (prompt + reward columns) for TRL's own scripts",
        False,
    ),
}
USER_HELP = """\
SWE-RL training data from the public record: GH Archive events + git clones -> merged pull requests with
their linked issues, code context and oracle patch -> filtered, near-deduplicated, decontaminated
Parquet shards (query them with DuckDB) -> GRPO training with TRL."""
USER_EPILOG = """\
examples:
  swe-corpus corpus --out out                          # the offline demo world, every stage
  swe-corpus corpus --hours 2024-05-06 --out out/may6  # one real day from data.gharchive.org
  swe-corpus stats --out out                           # funnel, languages, repositories
  swe-corpus query --out out "select * from rl_seed limit 5"
  swe-corpus COMMAND --help                            # a command's options

Options also live in corpus.toml (--config); Beam options (--runner, --direct_num_workers...) pass
through to Beam. Docs: README.md and docs/ in the repository."""
# commands of the trainer: `make corpus` installs the data pipeline only
TRAINER_COMMANDS = ("train", "evaluate", "export-prompts")
# Beam's import-time notes about optional Google Cloud clients: on every command, and nothing to act on
# for a run that does not read BigQuery (`pip install -e '.[gcp]'` brings them for Dataflow).
UNACTIONABLE_LOG_PREFIXES = (
    "apitools not found",
    "No module named google.cloud.bigquery_storage_v1",
)


class _DropUnactionable(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(UNACTIONABLE_LOG_PREFIXES)


# Inputs of the stage commands that are no corpus.toml option; the options say themselves which are
# locations (`opt(..., path=...)`).
STAGE_INPUT_PATHS = {"prs": "dir", "events": "dir"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="swe-corpus",
        description=USER_HELP,
        epilog=USER_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO (default), WARNING or ERROR")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_module, help_text, _passthrough) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0
    top, rest = parser.parse_known_args(argv)
    module_name, help_text, passthrough = COMMANDS[top.command]
    logging.basicConfig(level=top.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_DropUnactionable())
    if logging.getLogger().level > logging.DEBUG:  # Beam's INFO chatter would drown the progress lines
        logging.getLogger("apache_beam").setLevel(max(logging.WARNING, logging.getLogger().level))
    if top.command in TRAINER_COMMANDS and importlib.util.find_spec("trl") is None:
        print(
            f"swe-corpus {top.command} needs the trainer (torch, transformers, TRL), which `make corpus` does "
            "not install: run `make install` (or `pip install -e '.[train]'`)",
            file=sys.stderr,
        )
        return 2
    module = importlib.import_module(module_name)
    cmd = argparse.ArgumentParser(prog=f"swe-corpus {top.command}", description=help_text)
    attr = top.command.replace("-", "_")
    add = getattr(module, f"add_{attr}_arguments", None) or module.add_arguments
    add(cmd)
    if passthrough:
        args, extra = cmd.parse_known_args(rest)
        from pipelines.common import unknown_beam_args

        if problem := unknown_beam_args(extra, [f for f in cmd._option_string_actions if f.startswith("--")]):
            print(f"swe-corpus {top.command}: error: {problem}", file=sys.stderr)
            return 2
        from swe_corpus.config import path_options  # here: the trainer commands need no data modules

        # absolute before anything is submitted: workers of a distributed runner have another directory
        for name, kind in {**path_options(), **STAGE_INPUT_PATHS}.items():
            if isinstance(getattr(args, name, None), str):
                setattr(args, name, absolute_location(getattr(args, name), kind))
    else:
        args, extra = cmd.parse_args(rest), []
    run = getattr(module, f"run_{attr}", None) or module.run
    try:
        with signals_end_children():  # no git child outlives an interrupted or terminated run
            return int(run(args, extra) or 0)
    except ConfigError as err:  # the message says where and why: no traceback
        print(f"swe-corpus {top.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
