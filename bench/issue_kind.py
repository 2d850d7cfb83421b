"""Issue classifier: recall and precision on real labelled GitHub issues and on SWE-bench problem statements.

Ground truth is the maintainers' own triage: issues whose labels say bug / enhancement / question...
(`classify_issue` with labels only), classified here from their title and body alone (labels hidden).
SWE-bench problem statements are all real tasks (bug reports or change requests), so there only the
share accepted (recall) is measured. Baseline: accept everything (what no classifier costs).

    python bench/issue_kind.py                       # tests/data sample + ../shared/data hours
    python bench/issue_kind.py --swebench lite.jsonl verified.jsonl   # SWE-bench exports (instance_id, problem_statement)
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from swe_corpus.issue_kind import KINDS, classify_issue  # noqa: E402

SAMPLE = ROOT / "tests" / "data" / "labelled-issues-2015-01-01-1.jsonl"
ACCEPTED = ("bug", "feature")


def triaged(labels: list[str]) -> str | None:
    """The kind maintainers gave an issue through its labels; None when no label says it."""
    kind = classify_issue(None, None, labels)
    return kind.kind if kind.reason.startswith("label:") else None


def labelled_issues(paths: list[Path]) -> list[dict]:
    """Distinct labelled issues (not PRs) from a JSONL sample or GH Archive hours; last state wins."""
    issues: dict[str, dict] = {}
    for path in paths:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                if "labels" in obj and "title" in obj:  # the sample's own rows
                    issues[obj["issue"]] = obj
                    continue
                issue = (obj.get("payload") or {}).get("issue")
                if not isinstance(issue, dict) or issue.get("pull_request") or not issue.get("labels"):
                    continue
                labels = [lb.get("name") for lb in issue["labels"] if isinstance(lb, dict) and lb.get("name")]
                issues[str(issue.get("html_url"))] = {
                    "labels": labels,
                    "title": issue.get("title") or "",
                    "body": issue.get("body") or "",
                }
    return list(issues.values())


def confusion(issues: list[dict]) -> Counter:
    """(triaged kind, classified kind) -> issues, for issues whose labels say their kind."""
    matrix: Counter = Counter()
    for issue in issues:
        truth = triaged(issue["labels"])
        if truth is not None:
            matrix[truth, classify_issue(issue["title"], issue["body"]).kind] += 1
    return matrix


def accept_scores(matrix: Counter) -> tuple[float, float]:
    """(precision, recall) of accepting an issue as a task (bug or feature)."""
    tp = sum(n for (t, p), n in matrix.items() if t in ACCEPTED and p in ACCEPTED)
    accepted = sum(n for (_, p), n in matrix.items() if p in ACCEPTED)
    tasks = sum(n for (t, _), n in matrix.items() if t in ACCEPTED)
    return tp / max(accepted, 1), tp / max(tasks, 1)


def print_matrix(matrix: Counter) -> None:
    print(f"  {'labels/text':>14}" + "".join(f"{k:>9}" for k in KINDS) + f"{'total':>8}")
    for t in KINDS:
        row = [matrix[t, p] for p in KINDS]
        print(f"  {t:>14}" + "".join(f"{n:>9}" for n in row) + f"{sum(row):>8}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hours", nargs="*", type=Path, help="labelled-issue sources (default: sample)")
    parser.add_argument("--swebench", nargs="*", type=Path, default=[], help="SWE-bench JSONL/JSON exports")
    args = parser.parse_args()
    sources = args.hours or [SAMPLE]
    matrix = confusion(labelled_issues(sources))
    total = sum(matrix.values())
    print(f"labelled GitHub issues: {total} from {', '.join(p.name for p in sources)}")
    print_matrix(matrix)
    precision, recall = accept_scores(matrix)
    base_precision = sum(n for (t, _), n in matrix.items() if t in ACCEPTED) / max(total, 1)
    print(f"  accept (bug|feature): precision {precision:.3f}  recall {recall:.3f}")
    print(f"  baseline accept-all:  precision {base_precision:.3f}  recall 1.000")
    statements: dict[str, str] = {}
    for path in args.swebench:
        text = path.read_text()
        rows = (
            json.loads(text) if text.lstrip().startswith("[") else [json.loads(x) for x in text.splitlines()]
        )
        statements.update({r["instance_id"]: r["problem_statement"] for r in rows})
    if statements:
        kinds = Counter()
        for statement in statements.values():
            title, _, body = statement.partition("\n")
            kinds[classify_issue(title, body).kind] += 1
        accepted = sum(kinds[k] for k in ACCEPTED)
        print(
            f"SWE-bench problem statements: {len(statements)}: " + ", ".join(f"{k} {kinds[k]}" for k in KINDS)
        )
        print(f"  recall (accepted as tasks): {accepted / len(statements):.3f}")


if __name__ == "__main__":
    main()
