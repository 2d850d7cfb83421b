"""corpus.toml and its loader: documented, strict, and overridable from the command line."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from swe_corpus.config import (
    ConfigError,
    CorpusConfig,
    add_config_arguments,
    apply_overrides,
    config_from_dict,
    flag,
    load_config,
    options,
    resolve_config,
    section_options,
)

CORPUS_TOML = Path(__file__).resolve().parents[1] / "corpus.toml"


def test_shipped_corpus_toml_equals_the_defaults_and_documents_every_option():
    assert load_config(CORPUS_TOML) == CorpusConfig()
    text = CORPUS_TOML.read_text()
    lines = text.splitlines()
    for name, (section, f, _typ) in options().items():
        assert f.metadata["doc"], name
        idx = next(i for i, line in enumerate(lines) if re.match(rf"{name}\s*=", line))
        above = idx - 1
        while re.match(r"\w+\s*=", lines[above]):  # options documented as a group share one comment
            above -= 1
        assert lines[above].startswith("#"), f"{name} has no comment"
        header = max(i for i, line in enumerate(lines[:idx]) if line.startswith("["))
        assert lines[header] == f"[{section}]", name


def test_unknown_keys_and_sections_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[curate]\ndecontaminat = 'pr'\n")
    with pytest.raises(
        ConfigError, match=r"bad.toml: unknown option 'decontaminat' in \[curate\].*'decontaminate'"
    ):
        load_config(bad)
    with pytest.raises(ConfigError, match=r"unknown section \[extrct\].*'extract'"):
        config_from_dict({"extrct": {}})
    with pytest.raises(ConfigError, match=r"relevant_k must be int, got str"):
        config_from_dict({"extract": {"relevant_k": "5"}})
    with pytest.raises(ConfigError, match="must be one of repo, pr, none"):
        config_from_dict({"curate": {"decontaminate": "all"}})
    with pytest.raises(ConfigError, match="exceeds dedup_num_perm"):
        config_from_dict({"curate": {"dedup_bands": 30}})
    with pytest.raises(ConfigError, match="invalid TOML"):
        (tmp_path / "broken.toml").write_text("[run\n")
        load_config(tmp_path / "broken.toml")
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")


def test_file_values_and_cli_overrides_merge_in_order(tmp_path):
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text(
        '[ingest]\nhours = "2015-01-01-0..2015-01-01-3"\n[curate]\ndecontaminate = "pr"\n'
        'text_languages = ["en"]\nmin_text_language_score = 1\n[run]\nbeam_args = ["--direct_num_workers", "2"]\n'
    )
    parser = argparse.ArgumentParser()
    add_config_arguments(parser)
    args = parser.parse_args(
        ["--config", str(cfg_file), "--decontaminate", "none", "--relevant-k", "8", "--hydrate"]
    )
    cfg = resolve_config(args)
    assert cfg.ingest.hours == "2015-01-01-0..2015-01-01-3"  # from the file
    assert (
        cfg.curate.decontaminate == "none" and cfg.extract.relevant_k == 8 and cfg.prs.hydrate is True
    )  # CLI
    assert cfg.curate.min_text_language_score == 1.0 and isinstance(cfg.curate.min_text_language_score, float)
    assert cfg.run.beam_args == ["--direct_num_workers", "2"] and cfg.run.out == "out"  # default
    assert cfg.to_dict()["curate"]["text_languages"] == ["en"]


def test_overrides_ignore_unrelated_attributes_and_keep_defaults_fresh():
    cfg = apply_overrides(CorpusConfig(), argparse.Namespace(out="o", log_level="INFO", hours=None))
    assert cfg.run.out == "o" and cfg.ingest.hours == ""
    a, b = CorpusConfig(), CorpusConfig()
    a.run.beam_args.append("--x")
    assert b.run.beam_args == []


def test_makefile_variables_map_to_flags():
    parser = argparse.ArgumentParser()
    add_config_arguments(parser)
    flags = {a for action in parser._actions for a in action.option_strings}
    assert {
        "--hours",
        "--gharchive-url",
        "--git-url-template",
        "--out",
        "--config",
        "--decontaminate",
        "--overwrite",
    } <= flags


def test_manifest_config_never_holds_a_token():
    cfg = CorpusConfig()
    cfg.extract.git_url_template = "https://x-access-token:ghs_SECRET@github.com/{repo}.git"
    cfg.ingest.gharchive_url = "https://store.example/h?sig=SECRET"
    text = json.dumps(cfg.to_dict())
    assert "SECRET" not in text and "github.com/{repo}.git" in text


def test_every_stage_command_has_the_corpus_names_and_defaults(tmp_path):
    """One name per option: each stage command exposes its corpus.toml section(s) under the flags of
    `swe-corpus corpus`, and nothing else but its inputs and `--overwrite` (the PR stage also its
    memory budget: it runs in partitions too); resolved, they are the config's defaults."""
    from pipelines import corpus, curate, extract, ingest, prs

    def flags_of(add) -> set[str]:
        parser = argparse.ArgumentParser()
        add(parser)
        return {s for a in parser._actions for s in a.option_strings if s.startswith("--")} - {"--help"}

    corpus_flags = flags_of(corpus.add_arguments)
    stages = {
        ingest: ({"ingest"}, {"--out"}),
        prs: ({"prs"}, {"--events", "--out", "--memory-gb", "--partitions"}),
        extract: ({"extract"}, {"--prs", "--out"}),
        curate: ({"curate"}, {"--prs", "--out", "--num-shards"}),
    }
    for module, (sections, inputs) in stages.items():
        own = flags_of(module.add_arguments) - inputs - {"--config", "--overwrite", "--no-overwrite"}
        expected = {flag(n) for n in section_options(*sections)}
        expected |= {f"--no-{f[2:]}" for f in expected if f"--no-{f[2:]}" in corpus_flags}
        assert own == expected, module.__name__
        assert own <= corpus_flags, module.__name__
    parser = argparse.ArgumentParser()
    extract.add_arguments(parser)
    (tmp_path / "empty.toml").write_text("")
    cfg = resolve_config(
        parser.parse_args(["--prs", "p", "--out", "o", "--config", str(tmp_path / "empty.toml")])
    )
    assert cfg.extract == CorpusConfig().extract


def test_shuffle_buckets_reach_the_pr_stage_and_are_checked(tmp_path):
    """`[prs] shuffle_buckets` (flag `--shuffle-buckets`) is the PR stage's bucket count; negative is refused."""
    from pipelines import prs

    cfg = tmp_path / "corpus.toml"
    cfg.write_text("[prs]\nshuffle_buckets = 64\n")
    parser = argparse.ArgumentParser()
    prs.add_arguments(parser)
    args = parser.parse_args(["--events", "e", "--out", "o", "--config", str(cfg)])
    assert prs.config_from_args(args).buckets == 64  # AssemblePullRequests shuffles in config.buckets
    args = parser.parse_args(["--events", "e", "--out", "o", "--shuffle-buckets", "-1"])
    with pytest.raises(ConfigError, match="shuffle_buckets must be >= 0"):
        prs.config_from_args(args)
