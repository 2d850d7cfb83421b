"""OUT/report.html: one self-contained page a person reads after a run (`swe-corpus report`, `make corpus`).

Sections: the run (date, version, git SHA, hours, runner, wall time, from manifest.json); time and
throughput per stage (Beam's own per-transform execution time, recorded by the pipeline); the PR-level
funnel with percentages and the event-level one on a log scale; why records left each stage, as shares of
its input; top repositories and languages; estimated prompt lengths against the training configs'
budgets; one example seed and a few rejected rows. Charts are matplotlib PNGs embedded as data URIs in a
CSS grid (no script, no external resource), so the page opens anywhere: a laptop, a bucket, a CI artifact.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import yaml

from swe_corpus import stages
from swe_corpus.explore import Stats, _fmt_num, _is_remote, collect_stats, connect, views
from swe_corpus.manifest import NOT_KEPT_EXTRAS

# Prompt lengths are estimated without a tokenizer (the data pipeline does not install one): code and
# English average 3-4 bytes per token with the BPE vocabularies of current coder models.
BYTES_PER_TOKEN = 4
# Reasons that are not rejections: event types ingest does not keep; curated PRs not chosen as seeds.
NOT_REJECTIONS = {stages.INGEST: NOT_KEPT_EXTRAS}
NOT_CHOSEN_STAGE = stages.RL_SEED
# The PR-level funnel: (stage, which count, label).
PR_FUNNEL = (
    (stages.PRS, "in", "PRs seen"),
    (stages.PRS, "kept", "merged PRs"),
    (stages.EXTRACT, "kept", "code extracted"),
    (stages.FILTER, "kept", "passed filters"),
    (stages.DECONTAMINATE, "kept", "decontaminated"),
    (stages.DEDUP, "kept", "unique (dedup)"),
    (stages.RL_SEED, "kept", "RL seeds"),
)
EXAMPLE_REJECTED = 8
MAX_TEXT = 2500
COLORS = {"kept": "#55a868", "rejected": "#c44e52", "not chosen": "#8c8c8c", "bar": "#4c72b0"}


# ------------------------------------------------------------------------------------------ data
def load_manifest(out: str) -> dict:
    path = Path(out.removeprefix("file://")) / "manifest.json"
    if _is_remote(out) or not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError:
        return {}


def hours_summary(hours: list[str] | str | None) -> str:
    if not hours:
        return "-"
    if isinstance(hours, str):
        return hours
    return hours[0] if len(hours) == 1 else f"{hours[0]} .. {hours[-1]} ({len(hours)} hours)"


def runner_summary(beam_args: list[str]) -> str:
    """The Beam runner a run used, from its arguments (the default is the in-process FnApiRunner)."""
    args = list(beam_args or [])
    named = {}
    for i, a in enumerate(args):
        if a.startswith("--") and "=" in a:
            key, value = a[2:].split("=", 1)
            named[key] = value
        elif a.startswith("--") and i + 1 < len(args) and not args[i + 1].startswith("--"):
            named[a[2:]] = args[i + 1]
    runner = named.get("runner", "FnApiRunner (in-process)")
    extra = [f"{k}={named[k]}" for k in ("direct_num_workers", "direct_running_mode") if k in named]
    return runner + (f", {', '.join(extra)}" if extra else "")


def run_info(manifest: dict, s: Stats) -> list[tuple[str, str]]:
    inputs = manifest.get("inputs") or {}
    funnel_ok = manifest.get("funnel_ok")
    rows = [
        ("output", s.out),
        ("created", str(manifest.get("created_at", "-"))),
        (
            "swe-corpus",
            f"{manifest.get('toolkit_version', '-')} (git {manifest.get('git_sha') or 'unknown'})",
        ),
        ("hours", hours_summary(inputs.get("hours"))),
        (
            "input",
            "offline demo world" if inputs.get("demo_world") else str(inputs.get("gharchive_url", "-")),
        ),
        ("runner", runner_summary(inputs.get("beam_args") or [])),
        ("wall time", f"{manifest['wall_seconds']:,.1f} s" if "wall_seconds" in manifest else "-"),
        (
            "funnel adds up",
            {True: "yes", False: "NO: " + "; ".join(manifest.get("funnel_errors", []))}.get(funnel_ok, "-"),
        ),
        ("tables", ", ".join(f"{t} {n:,}" for t, n in s.tables.items()) or "none"),
    ]
    return rows


def stage_times(manifest: dict, funnel: dict[str, dict]) -> list[tuple[str, float, int | None, float | None]]:
    """(stage, seconds, records in, records/s) from the manifest's stage_seconds."""
    rows = []
    for stage, seconds in (manifest.get("stage_seconds") or {}).items():
        if stage == "other" and not seconds:
            continue
        n = (funnel.get(stage) or {}).get("in")
        rows.append((stage, float(seconds), n, n / seconds if n and seconds > 0 else None))
    return rows


def example_seed(con: duckdb.DuckDBPyConnection) -> dict | None:
    if "rl_seed" not in views(con):
        return None
    cur = con.execute(
        "select instance_id, repo, language, problem_statement, patch, "
        "[c.path for c in code_context] as context, [o.path for o in oracle_files] as changed, "
        "[strlen(c.content) for c in code_context] as sizes "
        "from rl_seed order by num_changed_files desc, instance_id limit 1"
    )
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None


def example_rejections(con: duckdb.DuckDBPyConnection, n: int = EXAMPLE_REJECTED) -> list[tuple]:
    """One row per (stage, reason), the most frequent reasons first."""
    if "rejected" not in views(con):
        return []
    return con.execute(
        "select stage, reason, coalesce(instance_id, source_file || ':' || line_number, repo, '') as record, "
        "detail from (select *, row_number() over (partition by stage, reason order by instance_id, "
        "source_file, line_number) as k, count(*) over (partition by stage, reason) as c from rejected) "
        f"where k = 1 order by c desc, stage, reason limit {int(n)}"
    ).fetchall()


def prompt_budgets() -> list[tuple[str, int]]:
    """(config, max_prompt_tokens) of the shipped training configs for real models (the smoke config's
    tiny tokenizer counts differently)."""
    from training import prompts

    configs = Path(prompts.__file__).parent / "configs"
    budgets = []
    for path in sorted(configs.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text()) or {}
        budget = ((raw.get("data") or {}).get("prompt") or {}).get("max_prompt_tokens")
        if budget and (raw.get("model") or {}).get("name_or_path") != "tiny-random":
            budgets.append((path.stem, int(budget)))
    return budgets


def prompt_lengths(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int]]:
    """Per seed (estimated tokens of the issue + changed files, of the whole prompt): the first part must
    fit the budget or training skips the seed; relevant files beyond it are trimmed or dropped."""
    if "rl_seed" not in views(con):
        return []
    from training import prompts

    fixed = sum(
        len(t.encode())
        for t in (prompts.THINKING_SYSTEM_PROMPT, prompts.REPAIR_INTRO, prompts.REPAIR_INSTRUCTIONS)
    )
    per_file = len(prompts.FILE_BLOCK.encode())
    rows = con.execute(
        f"""
        select
          {fixed} + octet_length(encode(problem_statement))
            + coalesce(list_sum([{per_file} + octet_length(encode(c.path)) + octet_length(encode(c.content))
                                 for c in code_context if list_contains([o.path for o in oracle_files], c.path)]), 0),
          {fixed} + octet_length(encode(problem_statement))
            + coalesce(list_sum([{per_file} + octet_length(encode(c.path)) + octet_length(encode(c.content))
                                 for c in code_context]), 0)
        from rl_seed
        """
    ).fetchall()
    return [(-(-a // BYTES_PER_TOKEN), -(-b // BYTES_PER_TOKEN)) for a, b in rows]


# ------------------------------------------------------------------------------------------ charts
class Charts:
    """Chart title -> base64 PNG; every chart the same size, for the grid. Needs matplotlib (`report` extra)."""

    def __init__(self):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        self.plt, self.MaxNLocator = plt, MaxNLocator
        self.images: dict[str, str] = {}

    def add(self, title: str, draw: Callable[[Any], None], height: float = 3.4) -> None:
        fig, ax = self.plt.subplots(figsize=(6.4, height))
        draw(ax)
        ax.set_title(title, fontsize=11, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        self.plt.close(fig)
        self.images[title] = base64.b64encode(buf.getvalue()).decode()

    def integer_axis(self, axis) -> None:
        axis.set_major_locator(self.MaxNLocator(integer=True))

    def hbar(
        self, ax, labels: list[str], values: list[float], colors: list[str] | str, fmt: Callable[[float], str]
    ) -> None:
        """Horizontal bars, first label on top, each bar labelled with its value."""
        y = list(range(len(labels)))[::-1]
        bars = ax.barh(y, values, color=colors)
        ax.set_yticks(y, labels, fontsize=9)
        ax.bar_label(bars, [fmt(v) for v in values], padding=3, fontsize=8)
        ax.margins(x=0.18)


def pct(n: float, total: float | None) -> str:
    return f"{100 * n / total:.1f}%" if total else "-"


def build_charts(s: Stats, manifest: dict, con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    c = Charts()
    funnel = {r.stage: r for r in s.funnel}
    # PR-level funnel, linear, with percentages of the PRs seen
    steps = [
        (label, getattr(funnel[st], "in_" if what == "in" else "kept"))
        for st, what, label in PR_FUNNEL
        if st in funnel
    ]
    steps = [(label, n) for label, n in steps if n is not None]
    if steps:
        first = steps[0][1]

        def draw_prs(ax):
            c.hbar(
                ax,
                [lb for lb, _ in steps],
                [n for _, n in steps],
                COLORS["bar"],
                lambda v: f"{int(v):,} ({pct(v, first)})",
            )
            c.integer_axis(ax.xaxis)
            ax.set_xlabel("pull requests")

        c.add("PR funnel (share of PRs seen)", draw_prs)
    # event-level funnel, log scale: lines read, event types skipped, rejected, events kept
    ingest = funnel.get(stages.INGEST)
    if ingest and ingest.in_:
        skipped = sum(n for r, n in ingest.rejected.items() if r in NOT_REJECTIONS[stages.INGEST])
        rejected = sum(ingest.rejected.values()) - skipped
        bars = [
            ("lines read", ingest.in_, COLORS["bar"]),
            ("types not kept", skipped, COLORS["not chosen"]),
            ("rejected", rejected, COLORS["rejected"]),
            ("events kept", ingest.kept or 0, COLORS["kept"]),
        ]

        def draw_events(ax):
            c.hbar(
                ax,
                [b[0] for b in bars],
                [max(b[1], 0) for b in bars],
                [b[2] for b in bars],
                lambda v: f"{int(v):,}",
            )
            ax.set_xscale("symlog", linthresh=1)
            ax.set_xlim(0, max(b[1] for b in bars) * 20)
            ax.set_xlabel("GH Archive lines (log scale)")

        c.add("Event funnel (ingest)", draw_events)
    # why records left each stage, as a share of the stage's input
    shares = []
    for r in s.funnel:
        for reason, n in sorted(r.rejected.items(), key=lambda kv: -kv[1]):
            if n and r.in_ and reason not in NOT_REJECTIONS.get(r.stage, ()):
                kind = "not chosen" if r.stage == NOT_CHOSEN_STAGE else "rejected"
                shares.append((f"{r.stage}: {reason}", 100 * n / r.in_, kind, n))
    if shares:
        shares = shares[:14]

        def draw_shares(ax):
            c.hbar(
                ax,
                [x[0] for x in shares],
                [x[1] for x in shares],
                [COLORS[x[2]] for x in shares],
                lambda v: f"{v:.1f}%",
            )
            ax.set_xlabel("% of the stage's input (grey: curated PRs not chosen as seeds)")

        c.add("Why records left each stage", draw_shares, height=0.3 * len(shares) + 1.4)
    # time per stage
    times = [t for t in stage_times(manifest, {k: {"in": v.in_} for k, v in funnel.items()}) if t[1] > 0]
    if times:

        def draw_times(ax):
            c.hbar(ax, [t[0] for t in times], [t[1] for t in times], COLORS["bar"], lambda v: f"{v:,.2f} s")
            ax.set_xlabel("execution time, s (Beam, summed over workers)")

        c.add("Time per stage", draw_times)
    if s.repos:
        repos = s.repos[:10]

        def draw_repos(ax):
            y = list(range(len(repos)))[::-1]
            ax.barh(y, [r[1] for r in repos], color=COLORS["bar"], label="pull requests kept")
            ax.barh(y, [r[2] for r in repos], color=COLORS["kept"], label="RL seeds", height=0.45)
            ax.set_yticks(y, [r[0] for r in repos], fontsize=9)
            c.integer_axis(ax.xaxis)
            ax.legend(fontsize=8, loc="lower right")

        c.add("Top repositories", draw_repos, height=0.3 * len(repos) + 1.4)
    if s.languages:
        langs = s.languages[:10]

        def draw_langs(ax):
            c.hbar(ax, [lg for lg, _ in langs], [n for _, n in langs], COLORS["bar"], lambda v: f"{int(v):,}")
            c.integer_axis(ax.xaxis)
            ax.set_xlabel(s.language_source)

        c.add("Languages", draw_langs, height=0.3 * len(langs) + 1.4)
    lengths = prompt_lengths(con)
    if lengths:
        budgets = prompt_budgets()

        def draw_prompts(ax):
            top = (
                max(max(b for _, b in lengths), *(b for _, b in budgets))
                if budgets
                else max(b for _, b in lengths)
            )
            bins = [top * i / 30 for i in range(31)]
            ax.hist([b for _, b in lengths], bins=bins, color=COLORS["bar"], alpha=0.6, label="whole prompt")
            ax.hist(
                [a for a, _ in lengths],
                bins=bins,
                color=COLORS["kept"],
                alpha=0.8,
                label="issue + changed files",
            )
            ax.set_xlim(0, top * 1.08)  # a budget line at the maximum stays off the frame
            by_budget: dict[int, list[str]] = {}
            for name, budget in budgets:
                by_budget.setdefault(budget, []).append(name)
            for budget, names in by_budget.items():
                ax.axvline(budget, color=COLORS["rejected"], linestyle="--", linewidth=1)
                ax.text(
                    budget, ax.get_ylim()[1] * 0.95, f" {', '.join(names)}", rotation=90, va="top", fontsize=8
                )
            c.integer_axis(ax.yaxis)
            ax.set_xlabel(f"prompt tokens (estimated, {BYTES_PER_TOKEN} bytes/token)")
            ax.set_ylabel("seeds")
            ax.legend(fontsize=8, loc="center")

        c.add("Prompt length vs training budgets", draw_prompts)
    for col in ("num_changed_lines", "context_bytes"):
        if "rl_seed" in s.sizes and col in s.sizes["rl_seed"]:
            values = [
                r[0] for r in con.execute(f"select {col} from rl_seed where {col} is not null").fetchall()
            ]

            def draw_hist(ax, values=values, col=col):
                ax.hist(values, bins=min(30, max(5, len(set(values)))), color="#8172b2")
                c.integer_axis(ax.yaxis)
                if col == "num_changed_lines":
                    c.integer_axis(ax.xaxis)
                ax.set_xlabel(col)
                ax.set_ylabel("seeds")

            c.add(f"rl_seed.{col}", draw_hist)
    return c.images


# ------------------------------------------------------------------------------------------ HTML
def table(names: list[str], rows: list[tuple], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if i in numeric else ''}>{html.escape('' if v is None else str(v))}</td>"
            for i, v in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def clip(text: str | None, n: int = MAX_TEXT) -> str:
    text = text or ""
    return text if len(text) <= n else text[:n] + f"\n... ({len(text) - n:,} more characters)"


# Self-contained by policy: the browser blocks (and logs to its console) anything but inline styles and
# data: images, so a stray external resource shows up as a console error in the browser test.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body{font-family:system-ui,-apple-system,sans-serif;margin:1.5em auto;max-width:1400px;padding:0 1.5em;color:#222}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin:1.4em 0 .4em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.3em 0;font-size:88%}td,th{border:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f4f4f4}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(620px,1fr));gap:1em;align-items:start}
.grid figure{margin:0;border:1px solid #eee;padding:.4em;background:#fff}.grid img{max-width:100%;height:auto}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1.5em}pre{background:#f7f7f7;padding:.6em;overflow:auto;max-height:24em;font-size:80%;white-space:pre-wrap}
.note{color:#666;font-size:85%}
"""


def render(s: Stats, manifest: dict, images: dict[str, str], con: duckdb.DuckDBPyConnection) -> str:
    funnel = {r.stage: r for r in s.funnel}
    parts = [f"<h1>swe-corpus report</h1><p class=note>{html.escape(s.out)}</p>"]
    parts.append("<div class=cols><div><h2>Run</h2>" + table(["", ""], run_info(manifest, s)) + "</div>")
    times = stage_times(manifest, {k: {"in": v.in_} for k, v in funnel.items()})
    total = sum(t[1] for t in times)
    time_rows = [
        (st, f"{sec:,.2f}", pct(sec, total), _fmt_num(n), f"{rate:,.0f}" if rate else "-")
        for st, sec, n, rate in times
    ]
    if "wall_seconds" in manifest and times:
        time_rows.append(
            (
                "runner (scheduling, shuffles, I/O setup)",
                f"{max(manifest['wall_seconds'] - total, 0):,.2f}",
                "",
                "",
                "",
            )
        )
    parts.append(
        "<div><h2>Time per stage</h2>"
        + (
            table(["stage", "seconds", "share", "records in", "records/s"], time_rows, {1, 2, 3, 4})
            + "<p class=note>Beam's execution time of each stage's transforms, summed over workers.</p>"
            if times
            else "<p class=note>no per-stage times in manifest.json (a run before they were recorded)</p>"
        )
        + "</div></div>"
    )
    parts.append(
        "<h2>Charts</h2><div class=grid>"
        + "".join(
            f'<figure><img alt="{html.escape(t)}" src="data:image/png;base64,{b64}"></figure>'
            for t, b64 in images.items()
        )
        + "</div>"
    )
    funnel_rows = []
    for r in s.funnel:
        if not r.in_:
            continue
        out_reasons = ", ".join(
            f"{k} {v:,} ({pct(v, r.in_)})" for k, v in sorted(r.rejected.items(), key=lambda kv: -kv[1])
        )
        funnel_rows.append(
            (r.stage, _fmt_num(r.in_), _fmt_num(r.kept), pct(r.kept or 0, r.in_), out_reasons or "-")
        )
    parts.append(
        f"<h2>Funnel <small class=note>(from {html.escape(s.funnel_source)})</small></h2>"
        + table(
            ["stage", "in", "kept", "kept %", "not kept, by reason (% of the stage's input)"],
            funnel_rows,
            {1, 2, 3},
        )
    )
    seed = example_seed(con)
    if seed:
        changed = set(seed["changed"] or [])
        files = [
            (p, "changed" if p in changed else "relevant", f"{n:,}")
            for p, n in zip(seed["context"] or [], seed["sizes"] or [], strict=False)
        ]
        parts.append(
            f"<h2>Example seed: {html.escape(seed['instance_id'])} <small class=note>({html.escape(seed['language'] or '?')})</small></h2>"
            "<div class=cols><div><h3>Issue</h3><pre>"
            + html.escape(clip(seed["problem_statement"]))
            + "</pre><h3>Context files</h3>"
            + table(["path", "role", "bytes"], files, {2})
            + "</div><div><h3>Oracle patch</h3><pre>"
            + html.escape(clip(seed["patch"]))
            + "</pre></div></div>"
        )
    rejected = example_rejections(con)
    if rejected:
        parts.append(
            "<h2>Rejected records (one per reason)</h2>"
            + table(
                ["stage", "reason", "record", "detail"], [(a, b, c, clip(d, 300)) for a, b, c, d in rejected]
            )
        )
    if s.repos:
        parts.append("<h2>Repositories</h2>" + table(["repo", "pull_requests", "rl_seed"], s.repos, {1, 2}))
    for view, cols in s.sizes.items():
        rows = [
            (col, *(_fmt_num(p[k]) for k in ("n", "p50", "p90", "p99", "max"))) for col, p in cols.items()
        ]
        parts.append(
            f"<h2>Sizes: {view}</h2>"
            + table(["column", "n", "p50", "p90", "p99", "max"], rows, {1, 2, 3, 4, 5})
        )
    return (
        "<!doctype html><html lang=en><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}"><title>swe-corpus report</title>'
        f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>\n"
    )


def report_html(out: str) -> str:
    """The whole report.html of OUT, as text."""
    con = connect(out)
    s = collect_stats(out, con=con)
    manifest = load_manifest(out)
    return render(s, manifest, build_charts(s, manifest, con), con)
