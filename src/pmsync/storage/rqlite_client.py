"""Talking to an rqlite cluster over HTTP: addresses, credentials, failover, deadlines.

No PyPI client fits (one substitutes parameters by splitting on `?`, others turn REALs into
ints or cannot send a batch), and the standard library's `http.client` is all it takes. This
module knows rqlite's endpoints and nothing of pmsync's SQL.

Failover: every node can take every request (rqlite forwards writes to the leader), so a
request goes to the node that answered last and moves on to the next one when a node is
down, has no leader, or loses leadership mid-request, until the deadline. Whether a write
that failed that way landed is unknown: the caller makes its batches idempotent.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, unquote

from pmsync.errors import BadClusterAddress, ClusterError
from pmsync.storage.backend import CLUSTER_SCHEMES

DEFAULT_TIMEOUT_S = 6.0
# Give up on nodes that all refuse connections after this long (a restarting node comes back
# within it; a cluster nobody runs does not).
_DOWN_AFTER_S = 1.5
# What rqlite says when no leader can take the request right now: worth another node.
_TRANSIENT = (
    "leader",
    "leadership",
    "not open",
    "shutdown",
    "timeout",
    "deadline",
    "unavailable",
    "connection refused",
    "remote node",  # a follower could not reach the node it took for the leader
)


class Address:
    """`rqlite://[USER[:PASSWORD]@]HOST:PORT[,HOST:PORT...]` (or `rqlite+https://`).
    `str()` and `repr()` never show the password."""

    def __init__(self, text: str, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.user: str | None = None
        scheme = next((s for s in CLUSTER_SCHEMES if text.startswith(s)), None)
        if scheme is None:
            raise BadClusterAddress(_masked(text), "scheme")
        self.https = "https" in scheme
        rest = text[len(scheme) :].rstrip("/")
        user: str | None = None
        password: str | None = None
        if "@" in rest:
            creds, rest = rest.rsplit("@", 1)
            user, has_password, pw = creds.partition(":")
            user, password = unquote(user), (unquote(pw) if has_password else None)
        self.user = user or env.get("PMSYNC_RQLITE_USER") or None
        self.password = password if password is not None else env.get("PMSYNC_RQLITE_PASSWORD")
        self.nodes: list[tuple[str, int]] = []
        for part in rest.split(","):
            host, sep, port = part.strip().rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise BadClusterAddress(self._shown(rest), "node", part.strip())
            self.nodes.append((host.strip("[]"), int(port)))
        self._text = self._shown(rest)

    def _shown(self, nodes: str) -> str:
        scheme = "rqlite+https://" if self.https else "rqlite://"
        who = f"{quote(self.user, safe='')}@" if self.user else ""
        return f"{scheme}{who}{nodes}"

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Address({self._text!r})"

    def authorization(self) -> str | None:
        if self.user is None:
            return None
        token = f"{self.user}:{self.password or ''}".encode()
        return "Basic " + base64.b64encode(token).decode("ascii")


def _masked(text: str) -> str:
    """An address as typed, with any password taken out."""
    head, sep, rest = text.partition("://")
    if sep and "@" in rest:
        creds, nodes = rest.rsplit("@", 1)
        return f"{head}://{creds.partition(':')[0]}@{nodes}"
    return text


class Response:
    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """HTTP to the cluster's nodes, with failover until `timeout` seconds have passed."""

    def __init__(self, address: Address, timeout: float | None = None) -> None:
        self.address = address
        self.timeout = timeout if timeout is not None else _timeout_from_env()
        self._auth = address.authorization()
        self._preferred = 0
        self._conns: dict[int, http.client.HTTPConnection] = {}

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()

    def _connection(self, i: int, budget: float) -> http.client.HTTPConnection:
        conn = self._conns.get(i)
        if conn is None:
            host, port = self.address.nodes[i]
            if self.address.https:
                import ssl

                # A team's own CA (rqlited's -http-ca-cert) goes in PMSYNC_RQLITE_CA.
                context = ssl.create_default_context(cafile=os.environ.get("PMSYNC_RQLITE_CA"))
                conn = http.client.HTTPSConnection(host, port, timeout=budget, context=context)
            else:
                conn = http.client.HTTPConnection(host, port, timeout=budget)
            self._conns[i] = conn
        conn.timeout = budget
        if conn.sock is not None:
            conn.sock.settimeout(budget)
        return conn

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str = "application/json",
        accept: Callable[[Response], bool] | None = None,
    ) -> Response:
        """Send to one node after another until one answers for the cluster. `accept`
        decides whether an answer is final (default: not a 'no leader' answer). Raises
        ClusterError unreachable / no-leader / refused when the deadline passes."""
        started = time.monotonic()
        deadline = started + self.timeout
        nodes = len(self.address.nodes)
        last_problem = "no answer"
        answered = False
        refused_in_a_row = 0
        attempt = 0
        while True:
            i = (self._preferred + attempt) % nodes
            attempt += 1
            budget = deadline - time.monotonic()
            # Every node refusing connections for a while: nobody runs there, don't wait on.
            down = refused_in_a_row >= 2 * nodes and time.monotonic() - started > _DOWN_AFTER_S
            if budget <= 0 or down:
                kind = "no-leader" if answered else "unreachable"
                raise ClusterError(str(self.address), kind, last_problem)
            headers = {"Content-Type": content_type} if body is not None else {}
            if self._auth:
                headers["Authorization"] = self._auth
            conn = self._connection(i, min(budget, max(self.timeout / 2, 1.0)))
            try:
                conn.request(method, path, body=body, headers=headers)
                raw = conn.getresponse()
                response = Response(raw.status, raw.read())
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                self._conns.pop(i, None)
                if self.address.https and _is_tls_failure(exc):  # no other node will do
                    raise ClusterError(str(self.address), "tls", _tls_problem(exc)) from None
                last_problem = _socket_problem(exc)
                refused = isinstance(exc, ConnectionRefusedError | socket.gaierror)
                refused_in_a_row = refused_in_a_row + 1 if refused else 0
                self._pause(attempt, nodes, deadline)
                continue
            answered = True
            refused_in_a_row = 0
            if response.status == 401:
                raise ClusterError(str(self.address), "refused", user=self.address.user)
            if response.status == 403:
                raise ClusterError(str(self.address), "forbidden", user=self.address.user)
            final = accept(response) if accept else not transient(response)
            if final:
                self._preferred = i
                return response
            last_problem = problem(response)
            self._pause(attempt, nodes, deadline)

    @staticmethod
    def _pause(attempt: int, nodes: int, deadline: float) -> None:
        # After every node was tried once, wait a little: an election takes a second or two.
        if attempt % nodes == 0:
            time.sleep(max(0.0, min(0.25, deadline - time.monotonic())))


def transient(response: Response) -> bool:
    """True when this answer says 'not now, try another node' rather than an outcome."""
    if response.status >= 500 or response.status in (408, 429):
        return True
    if response.status != 200:
        return False
    try:
        top = response.json()
    except ValueError:
        return True
    error = str(top.get("error", "")).lower() if isinstance(top, dict) else ""
    if "constraint failed" in error:  # an outcome, even when relayed by another node
        return False
    return bool(error) and any(word in error for word in _TRANSIENT)


def problem(response: Response) -> str:
    """What went wrong, in rqlite's words (for the last line of a failure)."""
    text = response.body.decode("utf-8", "replace").strip()
    try:
        top = json.loads(text)
        if isinstance(top, dict) and top.get("error"):
            text = str(top["error"])
    except ValueError:
        pass
    return f"HTTP {response.status}: {text[:200]}" if response.status != 200 else text[:200]


def _socket_problem(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    return getattr(exc, "strerror", None) or type(exc).__name__


def _is_tls_failure(exc: BaseException) -> bool:
    import ssl

    return isinstance(exc, ssl.SSLError)


def _tls_problem(exc: BaseException) -> str:
    return str(getattr(exc, "verify_message", "") or getattr(exc, "reason", "") or exc)


def _timeout_from_env() -> float:
    try:
        value = float(os.environ.get("PMSYNC_RQLITE_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S
    return value if value > 0 else DEFAULT_TIMEOUT_S
