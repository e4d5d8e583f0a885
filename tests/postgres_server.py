"""Start or stop a throwaway PostgreSQL server on loopback for the index tests.

    python tests/postgres_server.py start [DIR]   # prints the URL to use as MLBOM_TEST_POSTGRES_URL
    python tests/postgres_server.py stop [DIR]

Uses the server binaries of the Debian ``postgresql`` package (``/usr/lib/postgresql/*/bin``)
or whatever ``initdb``/``pg_ctl`` is on PATH. PostgreSQL refuses to run as root, so as root
the cluster belongs to the ``postgres`` user the Debian package creates. Trust authentication
on 127.0.0.1 only: this server is for tests and listens nowhere else.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

DEFAULT_DIR = Path("/tmp/mlbom-test-postgres")


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return found[-1] if found else shutil.which(name)


def _as_owner() -> list[str]:
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        raise RuntimeError("running as root and no runuser to start PostgreSQL as the postgres user")
    return [runuser, "-u", "postgres", "--"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(base: Path = DEFAULT_DIR) -> str:
    """Start (or find running) a server under ``base``; return its URL."""
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    url_file = base / "url"
    data = base / "data"
    if url_file.exists() and (data / "postmaster.pid").exists():
        url = url_file.read_text().strip()
        port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
        with socket.socket() as s:
            s.settimeout(2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return url  # already running
        # a stale pid file from a server that died: pg_ctl start below copes with it
    owner = _as_owner()
    base.mkdir(parents=True, exist_ok=True)
    if owner:
        shutil.chown(base, "postgres")
    if not (data / "PG_VERSION").exists():
        subprocess.run([*owner, initdb, "-D", str(data), "--auth=trust", "-U", "postgres", "--no-sync", "-E", "UTF8"],
                       check=True, capture_output=True, text=True)
    port = _free_port()
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off -c max_connections=100"
    subprocess.run([*owner, pg_ctl, "-D", str(data), "-l", str(base / "server.log"), "-o", opts, "-w", "-t", "60", "start"],
                   check=True, capture_output=True, text=True)
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    url_file.write_text(url + "\n")
    return url


def stop(base: Path = DEFAULT_DIR) -> None:
    pg_ctl = _bin("pg_ctl")
    data = base / "data"
    if pg_ctl and (data / "postmaster.pid").exists():
        subprocess.run([*_as_owner(), pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True, text=True)
    (base / "url").unlink(missing_ok=True)


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "start"
    where = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_DIR
    try:
        if cmd == "start":
            print(start(where))
        elif cmd == "stop":
            stop(where)
        else:
            sys.exit(f"usage: {sys.argv[0]} start|stop [DIR]")
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        sys.exit(f"postgres_server: {exc} {detail.strip()}")
