"""Repository partitions: how a corpus run on one machine keeps its memory within a budget.

Beam's local runner holds all the data of a GroupByKey in memory, so the PR stage (a group of every
event by PR) grows with the input. A run on one machine therefore splits the kept events into
partitions of whole repositories and runs the PR and extraction stages on one partition at a time.

A partition must hold everything the PR stage joins, so the result equals an unpartitioned run's:
- every event of a PR or issue (they are grouped by repository id, or name where there is none), and
- every group of events an issue join may meet: the join key is (repository name, number), and a
  closing link may point to another repository (`Fixes owner/name#12`).

So repositories are nodes of a graph: a repository is joined to every other one that shares one of its
names (renames, Timeline-era rows without an id) and to every repository its PRs' titles and bodies
name in a link; partitions are packed from whole connected components. No Beam here: pyarrow in, plain
values out.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from swe_corpus.linking import find_links
from swe_corpus.pr_fold import PR_EVENT_TYPES

# Columns the plan reads from the events table.
PLAN_COLUMNS = ("event_type", "repo_id", "repo_name", "is_pull_request", "title", "body")
# Memory of a partition's pipeline per kept PR/issue event on Beam's local runner (bench/scale.py: peak
# RSS grows ~10 KB per event of the largest partition; rounded up), and what a run needs besides
# (interpreter, Beam, pyarrow, the plan: ~250 MB).
BYTES_PER_EVENT = 12 << 10
BASE_BYTES = 256 << 20
# A text can only name another repository with an "owner/name#N" reference or a URL: the regular
# expressions of the link finder run only on texts that pass this cheap vectorised test. Loose on
# purpose: the finder's own patterns accept letters and digits beyond ASCII (Python's `re`).
_CROSS_REPO = r"/[^/\s]+#|://"

Node = int | str  # a repository id, or "name:<lower-case name>" for rows without one


def partition_count(events: int, memory_gb: float) -> int:
    """How many partitions keep `events` kept events within `memory_gb` (at least one)."""
    budget = max(memory_gb * 2**30 - BASE_BYTES, 64 << 20)
    return max(1, math.ceil(events * BYTES_PER_EVENT / budget))


def relevant(table: pa.Table) -> pa.Table:
    """The rows the PR stage reads (PR and issue events, with or without a number)."""
    return table.filter(pc.is_in(table["event_type"], pa.array(sorted(PR_EVENT_TYPES))))


def _name_node(name: str) -> str:
    return "name:" + name.lower()


@dataclass
class RepositoryGraph:
    """Repositories seen in the events and what joins them; fed table by table, then `plan()`."""

    events: Counter = field(default_factory=Counter)  # kept PR/issue events per node
    _parent: dict = field(default_factory=dict)  # union-find over the nodes that were joined
    _by_name: dict = field(default_factory=dict)  # lower-case name -> the first node seen with it

    def add(self, table: pa.Table) -> None:
        """Count and connect the repositories of one events table (any columns of PLAN_COLUMNS)."""
        table = relevant(table.select(list(PLAN_COLUMNS)))
        if not table.num_rows:
            return
        counts = table.group_by(["repo_id", "repo_name"]).aggregate([("event_type", "count")])
        for repo_id, name, n in zip(*(counts[c].to_pylist() for c in counts.column_names), strict=True):
            node = repo_id if repo_id is not None else _name_node(name)
            self.events[node] += n
            self._join_name(node, name)
        # a PR's links come from its latest title and body, which any event of the PR carries (comments too)
        of_pr = pc.or_(
            pc.fill_null(table["is_pull_request"], False), pc.starts_with(table["event_type"], "PullRequest")
        )
        prs = table.filter(of_pr)
        texts = pc.or_(
            pc.fill_null(pc.match_substring_regex(prs["title"], _CROSS_REPO), False),
            pc.fill_null(pc.match_substring_regex(prs["body"], _CROSS_REPO), False),
        )
        linking = prs.filter(texts)  # few rows: only these reach the link finder
        seen = set()
        for row in zip(
            *(linking[c].to_pylist() for c in ("repo_id", "repo_name", "title", "body")), strict=True
        ):
            if row in seen:  # the same text on the opened, closed, merged... events of one PR
                continue
            seen.add(row)
            repo_id, name, title, body = row
            node = repo_id if repo_id is not None else _name_node(name)
            for text in (title, body):
                for link in find_links(text, name, "body"):
                    if link.repo.lower() != name.lower():
                        self._join_name(node, link.repo)

    def _join_name(self, node: Node, name: str) -> None:
        first = self._by_name.setdefault(name.lower(), node)
        if first != node:
            self._union(first, node)

    def _find(self, node: Node) -> Node:
        root = node
        while (up := self._parent.get(root, root)) != root:
            root = up
        while (up := self._parent.get(node, node)) != root:  # path compression
            self._parent[node], node = root, up
        return root

    def _union(self, a: Node, b: Node) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self._parent[max(ra, rb, key=str)] = min(ra, rb, key=str)

    def plan(self, partitions: int) -> PartitionPlan:
        """Whole components packed into `partitions` bins, the largest first into the emptiest bin
        (deterministic: ties broken by the component's smallest node)."""
        components: dict[Node, list[Node]] = {}
        for node in self.events:
            components.setdefault(self._find(node), []).append(node)
        sizes = sorted(
            ((sum(self.events[n] for n in nodes), str(root), nodes) for root, nodes in components.items()),
            key=lambda c: (-c[0], c[1]),
        )
        count = max(1, min(partitions, len(sizes)))
        bins = [(0, k) for k in range(count)]
        of_node: dict[Node, int] = {}
        loads = [0] * count
        for size, _root, nodes in sizes:
            load, k = heapq.heappop(bins)
            for node in nodes:
                of_node[node] = k
            loads[k] = load + size
            heapq.heappush(bins, (loads[k], k))
        largest = sizes[0][0] if sizes else 0
        return PartitionPlan(of_node, loads, largest)


@dataclass
class PartitionPlan:
    """Which partition each repository node goes to, and the events each partition holds."""

    of_node: dict[Node, int]
    events: list[int]
    largest_component: int | None  # events of the largest group of joined repositories (None: not planned)

    _arrays: tuple | None = field(default=None, repr=False)

    @property
    def count(self) -> int:
        return len(self.events)

    def _lookup(self) -> tuple:
        """((repository ids, their partitions), (name nodes, their partitions)) as Arrow arrays, once."""
        if self._arrays is None:
            ids = [n for n in self.of_node if isinstance(n, int)]
            names = [n for n in self.of_node if isinstance(n, str)]
            self._arrays = (
                (pa.array(ids, pa.int64()), pa.array([self.of_node[n] for n in ids], pa.int32())),
                (pa.array(names, pa.string()), pa.array([self.of_node[n] for n in names], pa.int32())),
            )
        return self._arrays

    def split(self, table: pa.Table) -> dict[int, pa.Table]:
        """The PR stage's rows of one events table, by partition (partitions with no rows left out)."""
        table = relevant(table)
        if not table.num_rows:
            return {}
        if self.count == 1:
            return {0: table}
        (ids, id_parts), (names, name_parts) = self._lookup()
        by_id = pc.take(id_parts, pc.index_in(table["repo_id"], ids))
        # rows without an id: their name node as the plan made it (Python's lower(), not Arrow's)
        seen = pc.unique(table.filter(pc.is_null(table["repo_id"]))["repo_name"])
        nodes = pa.array([_name_node(n) for n in seen.to_pylist()], pa.string())
        by_name = pc.take(
            name_parts, pc.index_in(pc.take(nodes, pc.index_in(table["repo_name"], seen)), names)
        )
        partition = pc.if_else(pc.is_valid(table["repo_id"]), by_id, by_name)
        if partition.null_count:
            raise ValueError("events of a repository the plan has not seen")
        return {k: part for k in range(self.count) if (part := table.filter(pc.equal(partition, k))).num_rows}
