"""GitHub-shaped JSON (Events API payloads as GH Archive stores them, 2015+) and the event log."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from swe_corpus.demo.git import Clock, stable_int
from swe_corpus.demo.spec import API, WEB, Repo


class Shapes:
    """JSON objects shaped like the GitHub Events API payloads that GH Archive stores (2015+ era)."""

    def __init__(self, repos: dict[str, Repo]):
        self.repos = repos

    @staticmethod
    def uid(login: str) -> int:
        return stable_int("user:" + login, 1_000_000, 90_000_000)

    @staticmethod
    def rid(repo: str) -> int:
        return stable_int("repo:" + repo, 100_000_000, 700_000_000)

    def user(self, login: str) -> dict:
        u = f"{API}/users/{login}"
        kind = "Bot" if login.endswith("[bot]") else "User"
        repo_owner = next((r for r in self.repos.values() if r.name.split("/")[0] == login), None)
        if repo_owner is not None and repo_owner.owner_type == "Organization":
            kind = "Organization"
        return {
            "login": login,
            "id": self.uid(login),
            "node_id": "MDQ6VXNlcj" + hashlib.sha1(login.encode()).hexdigest()[:8],
            "avatar_url": f"https://avatars.githubusercontent.com/u/{self.uid(login)}?v=4",
            "gravatar_id": "",
            "url": u,
            "html_url": f"{WEB}/{login}",
            "followers_url": f"{u}/followers",
            "following_url": f"{u}/following{{/other_user}}",
            "gists_url": f"{u}/gists{{/gist_id}}",
            "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{u}/subscriptions",
            "organizations_url": f"{u}/orgs",
            "repos_url": f"{u}/repos",
            "events_url": f"{u}/events{{/privacy}}",
            "received_events_url": f"{u}/received_events",
            "type": kind,
            "site_admin": False,
        }

    def actor(self, login: str) -> dict:
        return {
            "id": self.uid(login),
            "login": login,
            "display_login": login.removesuffix("[bot]"),
            "gravatar_id": "",
            "url": f"{API}/users/{login}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{self.uid(login)}?",
        }

    def repo_ref(self, name: str) -> dict:
        return {"id": self.rid(name), "name": name, "url": f"{API}/repos/{name}"}

    def repository(self, name: str, created: str) -> dict:
        spec = self.repos[name]
        owner = name.split("/")[0]
        return {
            "id": self.rid(name),
            "node_id": "R_kgDO" + hashlib.sha1(name.encode()).hexdigest()[:8],
            "name": name.split("/")[1],
            "full_name": name,
            "private": False,
            "owner": self.user(owner),
            "html_url": f"{WEB}/{name}",
            "description": spec.description,
            "fork": spec.fork_of is not None,
            "url": f"{API}/repos/{name}",
            "created_at": created,
            "updated_at": created,
            "pushed_at": created,
            "git_url": f"git://github.com/{name}.git",
            "ssh_url": f"git@github.com:{name}.git",
            "clone_url": f"{WEB}/{name}.git",
            "homepage": None,
            "size": 42,
            "stargazers_count": 3,
            "watchers_count": 3,
            "language": spec.language,
            "has_issues": spec.fork_of is None,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": False,
            "has_pages": False,
            "forks_count": 1,
            "archived": False,
            "disabled": False,
            "open_issues_count": 2,
            "license": None,
            "topics": [],
            "visibility": "public",
            "forks": 1,
            "open_issues": 2,
            "watchers": 3,
            "default_branch": "main",
        }

    def labels(self, repo: str, names: tuple[str, ...]) -> list[dict]:
        return [
            {
                "id": stable_int(f"label:{repo}:{n}", 1_000_000_000, 9_000_000_000),
                "node_id": "LA_kwDO" + hashlib.sha1(f"{repo}{n}".encode()).hexdigest()[:8],
                "url": f"{API}/repos/{repo}/labels/{n}",
                "name": n,
                "color": "d73a4a" if n.lower() == "bug" else "0075ca",
                "default": True,
                "description": None,
            }
            for n in names
        ]

    def issue(
        self, repo: str, number: int, title: str, body: str, author: str, state: dict, pr: dict | None = None
    ) -> dict:
        base = f"{API}/repos/{repo}/issues/{number}"
        obj = {
            "url": base,
            "repository_url": f"{API}/repos/{repo}",
            "labels_url": f"{base}/labels{{/name}}",
            "comments_url": f"{base}/comments",
            "events_url": f"{base}/events",
            "html_url": f"{WEB}/{repo}/{'pull' if pr else 'issues'}/{number}",
            "id": stable_int(f"issue:{repo}:{number}", 2_000_000_000, 900_000_000),
            "node_id": "I_kwDO" + hashlib.sha1(f"{repo}#{number}".encode()).hexdigest()[:10],
            "number": number,
            "title": title,
            "user": self.user(author),
            "labels": state.get("labels", []),
            "state": state["state"],
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": state.get("comments", 0),
            "created_at": state["created_at"],
            "updated_at": state["updated_at"],
            "closed_at": state.get("closed_at"),
            "author_association": state.get("association", "NONE"),
            "active_lock_reason": None,
            "body": body,
            "reactions": {"url": f"{base}/reactions", "total_count": 0, "+1": 0, "-1": 0},
            "timeline_url": f"{base}/timeline",
            "performed_via_github_app": None,
            "state_reason": state.get("state_reason"),
        }
        if pr is not None:
            obj["draft"] = False
            obj["pull_request"] = pr
        return obj

    def comment(self, repo: str, number: int, cid: int, author: str, body: str, when: str) -> dict:
        return {
            "url": f"{API}/repos/{repo}/issues/comments/{cid}",
            "html_url": f"{WEB}/{repo}/issues/{number}#issuecomment-{cid}",
            "issue_url": f"{API}/repos/{repo}/issues/{number}",
            "id": cid,
            "node_id": f"IC_kwDO{cid:x}",
            "user": self.user(author),
            "created_at": when,
            "updated_at": when,
            "author_association": "CONTRIBUTOR",
            "body": body,
            "reactions": {"url": f"{API}/repos/{repo}/issues/comments/{cid}/reactions", "total_count": 0},
            "performed_via_github_app": None,
        }

    def branch(self, repo: str, ref: str, sha: str, created: str) -> dict:
        owner = repo.split("/")[0]
        return {
            "label": f"{owner}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self.user(owner),
            "repo": self.repository(repo, created),
        }


# ====================================================================================== events
@dataclass(order=True)
class Event:
    epoch: int
    seq: int
    obj: dict = field(compare=False)


class EventLog:
    """Events in emission order; ids and hour files are assigned once everything happened."""

    def __init__(self, clock: Clock, shapes: Shapes):
        self.clock, self.shapes = clock, shapes
        self.events: list[Event] = []

    def emit(
        self, minute: int, etype: str, repo: str, actor: str, payload: dict, plus_seconds: int = 0
    ) -> dict:
        obj = {
            "id": None,
            "type": etype,
            "actor": self.shapes.actor(actor),
            "repo": self.shapes.repo_ref(repo),
            "payload": payload,
            "public": True,
            "created_at": self.clock.iso(minute, plus_seconds),
        }
        owner = repo.split("/")[0]
        if self.shapes.repos[repo].owner_type == "Organization":
            obj["org"] = {
                "id": self.shapes.uid(owner),
                "login": owner,
                "gravatar_id": "",
                "url": f"{API}/orgs/{owner}",
                "avatar_url": f"https://avatars.githubusercontent.com/u/{self.shapes.uid(owner)}?",
            }
        self.events.append(Event(self.clock.epoch(minute) + plus_seconds, len(self.events), obj))
        return obj

    def finalize(self, first_id: int) -> list[dict]:
        ordered = sorted(self.events)
        for i, ev in enumerate(ordered):
            ev.obj["id"] = str(first_id + 3 * i)
        return [ev.obj for ev in ordered]
