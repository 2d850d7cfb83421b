"""Builders for real git repositories used by the extraction tests (no tests here)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from swe_corpus.git_mirror import safe_git_env


class RepoBuilder:
    """A working repository with deterministic commit times; `publish` makes the bare repo we serve."""

    def __init__(self, path: Path, start_time: int = 1_600_000_000):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.time = start_time
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, env: dict | None = None, input: bytes | None = None) -> str:
        full_env = safe_git_env()  # no user or system config, as the mirror runs git
        full_env.update(GIT_AUTHOR_NAME="Dev", GIT_AUTHOR_EMAIL="dev@example.com")
        full_env.update(GIT_COMMITTER_NAME="Dev", GIT_COMMITTER_EMAIL="dev@example.com")
        full_env.update(env or {})
        out = subprocess.run(
            ["git", "-C", str(self.path), *args], env=full_env, input=input, capture_output=True, check=True
        )
        return out.stdout.decode("utf-8", "replace").strip()

    def write(self, rel: str, content: str | bytes) -> None:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode() if isinstance(content, str) else content)
        self.git("add", "--", rel)

    def symlink(self, rel: str, target: str) -> None:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.is_symlink():
            p.unlink()
        p.symlink_to(target)
        self.git("add", "--", rel)

    def gitlink(self, rel: str, sha: str) -> None:
        self.git("update-index", "--add", "--cacheinfo", f"160000,{sha},{rel}")

    def tick(self) -> dict:
        self.time += 60
        return {"GIT_AUTHOR_DATE": f"{self.time} +0000", "GIT_COMMITTER_DATE": f"{self.time} +0000"}

    def commit(self, message: str, env: dict | None = None) -> str:
        self.git("commit", "-q", "--allow-empty", "-m", message, env={**self.tick(), **(env or {})})
        return self.head()

    def head(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", ref)

    def publish(self, bare: Path) -> Path:
        """A bare copy (what a forge serves) with every branch; returns its path."""
        bare.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "-q", "--bare", str(self.path), str(bare)], check=True)
        return bare


def git_out(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout
