"""Git work trees driven with a sealed, deterministic environment, and the world's clock."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import subprocess
from pathlib import Path

from swe_corpus.demo.spec import WINDOW_HOURS, WINDOW_START, Edit

GITHUB_COMMITTER = ("GitHub", "noreply@github.com")


def stable_int(text: str, lo: int, span: int) -> int:
    return lo + int(hashlib.sha1(text.encode()).hexdigest()[:12], 16) % span


def person(login: str) -> tuple[str, str]:
    """Commit identity of a login (bots get GitHub's bot addresses)."""
    if login.endswith("[bot]"):
        return login, f"{stable_int(login, 49699333, 1000)}+{login}@users.noreply.github.com"
    return login.replace("-", " ").title(), f"{login}@users.noreply.github.com"


class Git:
    """A work tree driven by `git` subprocesses with a sealed, deterministic environment."""

    def __init__(self, path: Path, clock: Clock, template_dir: Path):
        self.path, self.clock = path, clock
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(path.parent),
            "LC_ALL": "C",
            "TZ": "UTC",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TEMPLATE_DIR": str(template_dir),
            "GIT_TERMINAL_PROMPT": "0",
        }

    def run(
        self, *args: str, at: int | None = None, author: str | None = None, committer: str | None = None
    ) -> str:
        env = dict(self.env)
        if at is not None:
            stamp = f"{self.clock.epoch(at)} +0000"
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = stamp
        a_name, a_mail = person(author) if author else GITHUB_COMMITTER
        c_name, c_mail = person(committer) if committer else (a_name, a_mail)
        if committer == "GitHub":
            c_name, c_mail = GITHUB_COMMITTER
        env.update(
            GIT_AUTHOR_NAME=a_name,
            GIT_AUTHOR_EMAIL=a_mail,
            GIT_COMMITTER_NAME=c_name,
            GIT_COMMITTER_EMAIL=c_mail,
        )
        base = [
            "git",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.autocrlf=false",
            "-c",
            "advice.detachedHead=false",
        ]
        proc = subprocess.run(
            base + list(args), cwd=self.path, env=env, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed in {self.path}: {proc.stderr.strip()}")
        return proc.stdout.strip()

    def init(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self.run("init", "-q", "-b", "main")

    def rev(self, ref: str) -> str:
        return self.run("rev-parse", "--verify", f"{ref}^{{commit}}")

    def apply(self, edits: tuple[Edit, ...]) -> None:
        for e in edits:
            target = self.path / e.path
            if e.delete:
                target.unlink()
                continue
            if e.old is None:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(e.new or "", encoding="utf-8", newline="\n")
                continue
            text = target.read_text(encoding="utf-8")
            if text.count(e.old) != 1:
                raise ValueError(f"demo edit of {e.path}: expected one occurrence of {e.old!r}")
            target.write_text(text.replace(e.old, e.new or ""), encoding="utf-8", newline="\n")

    def commit(
        self, edits: tuple[Edit, ...], message: str, author: str, at: int, committer: str | None = None
    ) -> str:
        self.apply(edits)
        self.run("add", "-A")
        self.run("commit", "-q", "-m", message, at=at, author=author, committer=committer or author)
        return self.rev("HEAD")


class Clock:
    """Minutes after WINDOW_START -> epoch seconds, with seeded per-minute second offsets."""

    def __init__(self, rng: random.Random):
        self.start = int(WINDOW_START.timestamp())
        self.jitter = [rng.randrange(0, 50) for _ in range(WINDOW_HOURS * 60)]

    def epoch(self, minute: int) -> int:
        sec = self.jitter[minute] if 0 <= minute < len(self.jitter) else 0
        return self.start + minute * 60 + sec

    def iso(self, minute: int, plus_seconds: int = 0) -> str:
        t = dt.datetime.fromtimestamp(self.epoch(minute) + plus_seconds, dt.UTC)
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
