"""Plays the world's timeline: git operations in work trees and the GitHub events they produce."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from swe_corpus.demo.git import Clock, Git, stable_int
from swe_corpus.demo.shapes import EventLog, Shapes
from swe_corpus.demo.spec import API, PR, WEB, Commit, Issue, Repo, Say, load_world
from swe_corpus.rejects import instance_id


@dataclass
class PRState:
    """What the simulation knows about a PR while it unfolds."""

    spec: PR
    repo: str
    head_repo: str
    base_sha: str | None = None
    head_sha: str | None = None
    merge_commit_sha: str | None = None
    created: str | None = None
    merged_at: str | None = None
    closed_at: str | None = None
    state: str = "open"
    comments: int = 0
    review_comments: int = 0
    commits: int = 0

    @property
    def iid(self) -> str:
        return instance_id(self.repo, self.spec.number)


class WorldBuilder:
    """Plays the world's timeline: git operations in work trees and the events they produce."""

    def __init__(self, work: Path, seed: int):
        self.rng = random.Random(seed)
        self.seed = seed
        self.clock = Clock(self.rng)
        self.specs = {r.name: r for r in load_world()}
        self.shapes = Shapes(self.specs)
        self.log = EventLog(self.clock, self.shapes)
        self.work = work
        self.template = work / "_template"
        self.template.mkdir(parents=True, exist_ok=True)
        self.git: dict[str, Git] = {}
        self.prs: dict[tuple[str, int], PRState] = {}
        self.ids = stable_int(f"seed:{seed}", 1_500_000_000, 100_000_000)

    # ---------------------------------------------------------------- helpers
    def next_id(self) -> int:
        self.ids += self.rng.randrange(3, 40)
        return self.ids

    def repo_git(self, name: str) -> Git:
        if name not in self.git:
            self.git[name] = Git(self.work / name.replace("/", "__"), self.clock, self.template)
        return self.git[name]

    def pr_object(self, st: PRState) -> dict:
        spec, repo = st.spec, st.repo
        g = self.repo_git(repo)
        stats = g.run("diff", "--numstat", f"{st.base_sha}...{st.head_sha}").splitlines()
        adds = sum(int(x.split("\t")[0]) for x in stats if x.split("\t")[0].isdigit())
        dels = sum(int(x.split("\t")[1]) for x in stats if x.split("\t")[1].isdigit())
        base = f"{API}/repos/{repo}/pulls/{spec.number}"
        return {
            "url": base,
            "id": stable_int(f"pr:{repo}:{spec.number}", 1_700_000_000, 200_000_000),
            "node_id": "PR_kwDO" + hashlib.sha1(f"{repo}!{spec.number}".encode()).hexdigest()[:10],
            "html_url": f"{WEB}/{repo}/pull/{spec.number}",
            "diff_url": f"{WEB}/{repo}/pull/{spec.number}.diff",
            "patch_url": f"{WEB}/{repo}/pull/{spec.number}.patch",
            "issue_url": f"{API}/repos/{repo}/issues/{spec.number}",
            "number": spec.number,
            "state": st.state,
            "locked": False,
            "title": spec.title,
            "user": self.shapes.user(spec.author),
            "body": spec.body,
            "created_at": st.created,
            "updated_at": st.closed_at or st.created,
            "closed_at": st.closed_at,
            "merged_at": st.merged_at,
            "merge_commit_sha": st.merge_commit_sha,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "labels": self.shapes.labels(repo, ("dependencies",)) if spec.kind == "bot" else [],
            "milestone": None,
            "draft": False,
            "commits_url": f"{base}/commits",
            "review_comments_url": f"{base}/comments",
            "review_comment_url": f"{API}/repos/{repo}/pulls/comments{{/number}}",
            "comments_url": f"{API}/repos/{repo}/issues/{spec.number}/comments",
            "statuses_url": f"{API}/repos/{repo}/statuses/{st.head_sha}",
            "head": self.shapes.branch(st.head_repo, spec.branch, st.head_sha, st.created),
            "base": self.shapes.branch(repo, "main", st.base_sha, st.created),
            "_links": {
                "self": {"href": base},
                "html": {"href": f"{WEB}/{repo}/pull/{spec.number}"},
                "issue": {"href": f"{API}/repos/{repo}/issues/{spec.number}"},
                "comments": {"href": f"{API}/repos/{repo}/issues/{spec.number}/comments"},
                "review_comments": {"href": f"{base}/comments"},
                "review_comment": {"href": f"{API}/repos/{repo}/pulls/comments{{/number}}"},
                "commits": {"href": f"{base}/commits"},
                "statuses": {"href": f"{API}/repos/{repo}/statuses/{st.head_sha}"},
            },
            "author_association": "CONTRIBUTOR",
            "auto_merge": None,
            "active_lock_reason": None,
            "merged": st.merged_at is not None,
            "mergeable": None,
            "rebaseable": None,
            "mergeable_state": "unknown",
            "merged_by": self.shapes.user(spec.merger) if st.merged_at and spec.merger else None,
            "comments": st.comments,
            "review_comments": st.review_comments,
            "maintainer_can_modify": False,
            "commits": st.commits,
            "additions": adds,
            "deletions": dels,
            "changed_files": len(stats),
        }

    def pr_event(self, minute: int, st: PRState, action: str, actor: str) -> None:
        payload = {"action": action, "number": st.spec.number, "pull_request": self.pr_object(st)}
        self.log.emit(minute, "PullRequestEvent", st.repo, actor, payload)

    # ---------------------------------------------------------------- steps
    def create_repo(self, spec: Repo) -> None:
        g = self.repo_git(spec.name)
        g.init()
        for c in spec.history:
            g.commit(c.edits, c.message, c.author or "ghost", c.at)

    def fork(self, spec: Repo, minute: int) -> None:
        upstream = self.repo_git(spec.fork_of)
        g = self.repo_git(spec.name)
        g.init()
        g.run("fetch", "-q", str(upstream.path), "refs/heads/main")
        g.run("reset", "-q", "--hard", "FETCH_HEAD")
        owner = spec.name.split("/")[0]
        payload = {"forkee": self.shapes.repository(spec.name, self.clock.iso(minute)) | {"public": True}}
        self.log.emit(minute, "ForkEvent", spec.fork_of, owner, payload)

    def open_issue(self, repo: str, issue: Issue) -> None:
        payload = {"action": "opened", "issue": self.issue_object(repo, issue, issue.opened)}
        self.log.emit(issue.opened, "IssuesEvent", repo, issue.author, payload)

    def issue_object(
        self, repo: str, issue: Issue, minute: int, closed: bool = False, comments: int = 0
    ) -> dict:
        """The issue as an event at `minute` shows it."""
        created = self.clock.iso(issue.opened)
        now = self.clock.iso(minute)
        state = {
            "state": "closed" if closed else "open",
            "created_at": created,
            "updated_at": now,
            "closed_at": now if closed else None,
            "labels": self.shapes.labels(repo, issue.labels),
            "comments": comments,
            "state_reason": "completed" if closed else None,
        }
        return self.shapes.issue(repo, issue.number, issue.title, issue.body, issue.author, state)

    def issue_comment(self, repo: str, issue: Issue, say: Say, index: int) -> None:
        cid = self.next_id()
        payload = {
            "action": "created",
            "issue": self.issue_object(repo, issue, say.at, comments=index + 1),
            "comment": self.shapes.comment(
                repo, issue.number, cid, say.author, say.body, self.clock.iso(say.at)
            ),
        }
        self.log.emit(say.at, "IssueCommentEvent", repo, say.author, payload)

    def pr_commit(self, st: PRState, commit: Commit) -> None:
        g = self.repo_git(st.head_repo)
        spec = st.spec
        exists = bool(g.run("branch", "--list", spec.branch))
        if exists:
            g.run("checkout", "-q", spec.branch)
        else:
            g.run("checkout", "-q", "-b", spec.branch, "main")
            self.log.emit(
                commit.at,
                "CreateEvent",
                st.head_repo,
                spec.author,
                {
                    "ref": spec.branch,
                    "ref_type": "branch",
                    "master_branch": "main",
                    "description": None,
                    "pusher_type": "user",
                },
                plus_seconds=-30,
            )
        author = commit.author or spec.author
        if commit.cherry_pick is not None:
            src_repo, src_number = commit.cherry_pick
            src = self.prs[(src_repo, src_number)]
            g.run("fetch", "-q", str(self.repo_git(src_repo).path), f"refs/pull/{src_number}/head")
            for sha in g.run("rev-list", "--reverse", f"{src.base_sha}..FETCH_HEAD").split():
                g.run(
                    "cherry-pick",
                    "-x",
                    sha,
                    at=commit.at,
                    author=self.commit_author(src_repo, sha),
                    committer=author,
                )
        else:
            g.commit(commit.edits, commit.message, author, commit.at)
        st.head_sha = g.rev("HEAD")
        st.commits += 1
        g.run("checkout", "-q", "main")
        if st.created is not None:
            self.publish_head(st)

    def commit_author(self, repo: str, sha: str) -> str:
        email = self.repo_git(repo).run("log", "-1", "--format=%ae", sha)
        return email.split("@")[0]

    def publish_head(self, st: PRState) -> None:
        """GitHub keeps every PR head under refs/pull/N/head of the base repository."""
        base = self.repo_git(st.repo)
        if st.head_repo == st.repo:
            base.run("update-ref", f"refs/pull/{st.spec.number}/head", st.head_sha)
        else:
            src = self.repo_git(st.head_repo).path
            base.run("fetch", "-q", str(src), f"+refs/heads/{st.spec.branch}:refs/pull/{st.spec.number}/head")

    def open_pr(self, st: PRState) -> None:
        spec = st.spec
        st.created = self.clock.iso(spec.opened)
        st.base_sha = self.repo_git(st.repo).rev("main")
        self.publish_head(st)
        self.pr_event(spec.opened, st, "opened", spec.author)

    def conversation(self, st: PRState, say: Say) -> None:
        repo, spec = st.repo, st.spec
        if say.kind == "comment":
            st.comments += 1
            pr_links = {
                "url": f"{API}/repos/{repo}/pulls/{spec.number}",
                "html_url": f"{WEB}/{repo}/pull/{spec.number}",
                "diff_url": f"{WEB}/{repo}/pull/{spec.number}.diff",
                "patch_url": f"{WEB}/{repo}/pull/{spec.number}.patch",
                "merged_at": None,
            }
            state = {
                "state": st.state,
                "created_at": st.created,
                "updated_at": self.clock.iso(say.at),
                "comments": st.comments,
            }
            cid = self.next_id()
            payload = {
                "action": "created",
                "issue": self.shapes.issue(
                    repo, spec.number, spec.title, spec.body, spec.author, state, pr=pr_links
                ),
                "comment": self.shapes.comment(
                    repo, spec.number, cid, say.author, say.body, self.clock.iso(say.at)
                ),
            }
            self.log.emit(say.at, "IssueCommentEvent", repo, say.author, payload)
        elif say.kind == "review":
            rid = self.next_id()
            review = {
                "id": rid,
                "node_id": f"PRR_kwDO{rid:x}",
                "user": self.shapes.user(say.author),
                "body": say.body or None,
                "commit_id": st.head_sha,
                "submitted_at": self.clock.iso(say.at),
                "state": say.state,
                "html_url": f"{WEB}/{repo}/pull/{spec.number}#pullrequestreview-{rid}",
                "pull_request_url": f"{API}/repos/{repo}/pulls/{spec.number}",
                "author_association": "MEMBER",
                "_links": {
                    "html": {"href": f"{WEB}/{repo}/pull/{spec.number}#pullrequestreview-{rid}"},
                    "pull_request": {"href": f"{API}/repos/{repo}/pulls/{spec.number}"},
                },
            }
            payload = {"action": "created", "review": review, "pull_request": self.pr_object(st)}
            self.log.emit(say.at, "PullRequestReviewEvent", repo, say.author, payload)
        else:
            st.review_comments += 1
            hunk, position = self.diff_hunk(st, say.path)
            cid = self.next_id()
            url = f"{API}/repos/{repo}/pulls/comments/{cid}"
            comment = {
                "url": url,
                "pull_request_review_id": self.next_id(),
                "id": cid,
                "node_id": f"PRRC_kwDO{cid:x}",
                "diff_hunk": hunk,
                "path": say.path,
                "commit_id": st.head_sha,
                "original_commit_id": st.head_sha,
                "user": self.shapes.user(say.author),
                "body": say.body,
                "created_at": self.clock.iso(say.at),
                "updated_at": self.clock.iso(say.at),
                "html_url": f"{WEB}/{repo}/pull/{spec.number}#discussion_r{cid}",
                "pull_request_url": f"{API}/repos/{repo}/pulls/{spec.number}",
                "author_association": "MEMBER",
                "_links": {
                    "self": {"href": url},
                    "html": {"href": f"{WEB}/{repo}/pull/{spec.number}#discussion_r{cid}"},
                    "pull_request": {"href": f"{API}/repos/{repo}/pulls/{spec.number}"},
                },
                "reactions": {"url": f"{url}/reactions", "total_count": 0},
                "start_line": None,
                "original_start_line": None,
                "start_side": None,
                "line": position,
                "original_line": position,
                "side": "RIGHT",
                "original_position": position,
                "position": position,
                "subject_type": "line",
            }
            payload = {"action": "created", "comment": comment, "pull_request": self.pr_object(st)}
            self.log.emit(say.at, "PullRequestReviewCommentEvent", repo, say.author, payload)

    def diff_hunk(self, st: PRState, path: str) -> tuple[str, int]:
        diff = self.repo_git(st.repo).run("diff", f"{st.base_sha}...{st.head_sha}", "--", path).splitlines()
        start = next(i for i, line in enumerate(diff) if line.startswith("@@"))
        changed = [i for i in range(start + 1, len(diff)) if diff[i][:1] in "+-"]
        end = (changed[0] if changed else start + 1) + 1
        hunk = diff[start:end]
        return "\n".join(hunk), len(hunk) - 1

    def close_pr(self, st: PRState, minute: int, merge: bool) -> None:
        spec = st.spec
        g = self.repo_git(st.repo)
        before = g.rev("main")
        if merge:
            self.merge(st, minute)
            st.merged_at = self.clock.iso(minute)
        st.state, st.closed_at = "closed", self.clock.iso(minute)
        self.pr_event(minute, st, "closed", spec.merger or spec.author)
        if not merge:
            return
        after = g.rev("main")
        self.push_event(st.repo, spec.merger, before, after, minute)
        if st.head_repo == st.repo:
            g.run("branch", "-q", "-D", spec.branch)
        for number in spec.closes:
            issue = next(i for i in self.specs[st.repo].issues if i.number == number)
            closed = self.issue_object(st.repo, issue, minute, closed=True, comments=len(issue.comments))
            payload = {"action": "closed", "issue": closed}
            self.log.emit(minute, "IssuesEvent", st.repo, spec.merger, payload, plus_seconds=1)

    def merge(self, st: PRState, minute: int) -> None:
        spec, g = st.spec, self.repo_git(st.repo)
        head = st.head_sha
        if spec.outcome == "merge":
            message = f"Merge pull request #{spec.number} from {st.head_repo.split('/')[0]}/{spec.branch}\n\n{spec.title}"
            g.run(
                "merge",
                "-q",
                "--no-ff",
                "-m",
                message,
                head,
                at=minute,
                author=spec.merger,
                committer="GitHub",
            )
        elif spec.outcome == "squash":
            g.run("merge", "-q", "--squash", head)
            subjects = g.run("log", "--reverse", "--format=* %s", f"{st.base_sha}..{head}")
            message = f"{spec.title} (#{spec.number})\n\n{subjects}"
            g.run("commit", "-q", "-m", message, at=minute, author=spec.author, committer="GitHub")
        elif spec.outcome == "rebase":
            g.run("checkout", "-q", "-B", "_rebase", head)
            g.run("rebase", "-q", "--force-rebase", "main", at=minute, author=spec.author, committer="GitHub")
            g.run("checkout", "-q", "main")
            g.run("merge", "-q", "--ff-only", "_rebase")
            g.run("branch", "-q", "-D", "_rebase")
        else:
            raise ValueError(spec.outcome)
        st.merge_commit_sha = g.rev("main")

    def push_event(self, repo: str, actor: str, before: str, after: str, minute: int) -> None:
        g = self.repo_git(repo)
        lines = g.run(
            "log", "--reverse", "--format=%H%x00%ae%x00%an%x00%s", f"{before}..{after}"
        ).splitlines()
        commits = []
        for line in lines:
            sha, email, name, subject = line.split("\x00")
            commits.append(
                {
                    "sha": sha,
                    "author": {"email": email, "name": name},
                    "message": subject,
                    "distinct": True,
                    "url": f"{API}/repos/{repo}/commits/{sha}",
                }
            )
        payload = {
            "repository_id": self.shapes.rid(repo),
            "push_id": self.next_id() * 7,
            "size": len(commits),
            "distinct_size": len(commits),
            "ref": "refs/heads/main",
            "head": after,
            "before": before,
            "commits": commits,
        }
        self.log.emit(minute, "PushEvent", repo, actor, payload, plus_seconds=2)

    # ---------------------------------------------------------------- timeline
    def steps(self) -> list[tuple[int, int, Callable[[], None]]]:
        out: list[tuple[int, int, Callable[[], None]]] = []

        def add(minute: int, fn: Callable[[], None]) -> None:
            out.append((minute, len(out), fn))

        for spec in self.specs.values():
            if spec.fork_of is None:
                add(-100000, lambda s=spec: self.create_repo(s))
            else:
                add(spec.forked_at, lambda s=spec: self.fork(s, s.forked_at))
            for minute, login in spec.watchers:
                add(
                    minute,
                    lambda m=minute, r=spec.name, u=login: self.log.emit(
                        m, "WatchEvent", r, u, {"action": "started"}
                    ),
                )
            for issue in spec.issues:
                add(issue.opened, lambda r=spec.name, i=issue: self.open_issue(r, i))
                for k, say in enumerate(issue.comments):
                    add(say.at, lambda r=spec.name, i=issue, s=say, k=k: self.issue_comment(r, i, s, k))
            for pr in spec.prs:
                st = PRState(pr, spec.name, pr.head_repo or spec.name)
                self.prs[(spec.name, pr.number)] = st
                for c in pr.commits:
                    add(c.at, lambda st=st, c=c: self.pr_commit(st, c))
                add(pr.opened, lambda st=st: self.open_pr(st))
                for say in pr.conversation:
                    add(say.at, lambda st=st, s=say: self.conversation(st, s))
                if pr.reopen:
                    add(pr.reopen[0], lambda st=st, m=pr.reopen[0]: self.close_pr(st, m, merge=False))
                    add(pr.reopen[1], lambda st=st, m=pr.reopen[1]: self.reopen(st, m))
                if pr.closed is not None:
                    add(
                        pr.closed,
                        lambda st=st, m=pr.closed: self.close_pr(st, m, merge=st.spec.outcome != "closed"),
                    )
        return sorted(out, key=lambda s: (s[0], s[1]))

    def reopen(self, st: PRState, minute: int) -> None:
        st.state, st.closed_at = "open", None
        self.pr_event(minute, st, "reopened", st.spec.author)

    def run(self) -> list[dict]:
        for _minute, _order, fn in self.steps():
            fn()
        return self.log.finalize(first_id=stable_int(f"events:{self.seed}", 37_000_000_000, 900_000_000))
