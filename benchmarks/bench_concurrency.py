"""Many users at once: N people each start a session and send a line through the web API.

``rehearse serve`` runs in its own process on 127.0.0.1, pointed at the fake
OpenAI-compatible server (``tests/fake_openai.py``), which takes ``reply_seconds``
(1 s) before every reply, like a slow model. For each N (1, 8, 32, 64) a fresh server
starts, one warm-up turn is played, and then N users start a session each and, all at
once, send a line with plain HTTP through one of the server's two web APIs (``--api``),
and again, for ``--rounds`` (3) rounds, each starting when every user has the reply to
the last:

- ``gradio``: Gradio's API (``/gradio_api/call/...``, the endpoints gradio_client uses),
  which goes through Gradio's queue: a request, then an event stream, per call;
- ``rest``: the plain JSON API (``/api/v1/...``, :mod:`ui.rest`): one request per call.

Each API is its own series, on fresh servers, with the same fields. Reported per N: the
p50 and p95 of a user's turn (over all rounds), the time until the last of the N replies
arrived (the median round, and each round: the first is every session's first turn),
that time against one user's turn (the baseline: N=1 in the same run), errors, the server's
CPU time per turn, and the server's resident memory per active session (its RSS after
the turns minus its RSS after the warm-up, over N).

The goal is the N=32 total within 1.3x of one user's turn. A model-call limit below N
(``--concurrency``) makes users wait in line for a slot; the run is made with the
default limit for an endpoint (64), and ``--concurrency 8 64`` compares limits.

Scaling out (README, "Scaling out"): with ``--processes 2`` and a PostgreSQL database
(``REHEARSE_TEST_DATABASE_URL``), that many ``rehearse serve`` processes share it and
user i talks to process i mod P, as a load balancer keeping each user on one process
would send them. The server CPU and memory figures are then the processes' sums.

    python -m benchmarks.bench_concurrency [--users 1 8 32 64] [--concurrency 64]
                                           [--processes 1 2] [--api gradio rest]
                                           [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from benchmarks import Skipped
from tests.fake_openai import FakeOpenAI
from ui.serving import free_port

__all__ = ["run", "summary"]

ROOT = Path(__file__).resolve().parent.parent
SCENE = "feedback-missed-deadlines"
REPLY = "I hear you. It has been a hard few weeks, honestly."
GOAL = 1.3
# Rounds of turns per N: one round's time swings by a fifth from run to run on this
# machine, so the figure is the median round's.
ROUNDS = 3

Api = Literal["gradio", "rest"]
APIS: tuple[Api, ...] = ("gradio", "rest")
API_NAMES = {"gradio": "Gradio API", "rest": "REST API"}


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _call(base: str, endpoint: str, *data: Any, tab: str, timeout: float = 300) -> Any:
    """One call to a named Gradio API endpoint: submit, then read its event stream.

    ``tab`` is the Gradio session hash, one per user as a browser tab or a
    gradio_client has: Gradio builds a per-session copy of the page's configuration
    the first time it sees one, which a client sending none would pay on every call.
    """
    body = json.dumps({"data": list(data), "session_hash": tab}).encode()
    request = urllib.request.Request(
        f"{base}gradio_api/call/{endpoint}",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        event_id = json.load(answer)["event_id"]
    with urllib.request.urlopen(
        f"{base}gradio_api/call/{endpoint}/{event_id}", timeout=timeout
    ) as stream:
        event = ""
        for raw in stream:
            line = raw.decode().strip()
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                payload = line.split(":", 1)[1].strip()
                if event == "error":
                    raise RuntimeError(f"{endpoint}: {payload}")
                return json.loads(payload)
    raise RuntimeError(f"{endpoint}: the event stream ended without a result")


def _rest(base: str, path: str, body: dict[str, Any], timeout: float = 300) -> Any:
    """One call to the REST API: a single request, its JSON answer."""
    request = urllib.request.Request(
        f"{base}api/v1/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"{path}: {error.code} {error.read().decode()[:300]}") from None


def _start(base: str, tab: str, api: Api = "gradio") -> str:
    """A new session's id (gr.api returns the handler's tuple as one output)."""
    if api == "rest":
        return str(
            _rest(base, "sessions", {"scenario": SCENE, "difficulty": "medium"})["session_id"]
        )
    session_id, _opening = _call(base, "start_session", SCENE, "medium", tab=tab)[0]
    return str(session_id)


def _send(base: str, session: str, text: str, tab: str, api: Api = "gradio") -> str:
    """The character's reply to one line."""
    if api == "rest":
        turn = _rest(base, f"sessions/{session}/messages", {"text": text})
        return "\n".join(line["text"] for line in turn["reply"])
    return str(_call(base, "send_message", session, text, tab=tab)[0])


class _Server:
    """``python -m rehearse serve`` in its own process, with its own data directory."""

    def __init__(
        self,
        model_url: str,
        home: Path,
        concurrency: int | None,
        database: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/"
        env = {
            **os.environ,
            "REHEARSE_HOME": str(home),
            "OPENAI_BASE_URL": model_url,
            "OPENAI_API_KEY": "bench",
            "REHEARSE_MAX_RETRIES": "0",
            "GRADIO_ANALYTICS_ENABLED": "False",
            **(env or {}),
        }
        if database is not None:
            env["REHEARSE_DATABASE_URL"] = database
        command = [sys.executable, "-m", "rehearse", "serve", "--model", "fake"]
        command += ["--assessor", "rules", "--port", str(self.port)]
        if concurrency is not None:
            command += ["--concurrency", str(concurrency)]
        self.log = home / "serve.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rehearse serve exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.base}gradio_api/info", timeout=2):
                    return
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise RuntimeError("rehearse serve did not answer within 120 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _one_n(
    users: int,
    reply_seconds: float,
    concurrency: int | None,
    processes: int = 1,
    api: Api = "gradio",
    rounds: int = ROUNDS,
) -> dict[str, Any]:
    database = _database() if processes > 1 else None
    with (
        FakeOpenAI(reply=REPLY, first_token_delay=reply_seconds) as model,
        tempfile.TemporaryDirectory() as tmp,
    ):
        servers: list[_Server] = []
        try:
            for k in range(processes):
                servers.append(_Server(model.base_url, Path(tmp) / str(k), concurrency, database))
            # Warm-up: the first session and turn load what every later one reuses.
            for server in servers:
                try:
                    session = _start(server.base, "warm-up", api)
                except RuntimeError as exc:
                    log = server.log.read_text(encoding="utf-8", errors="replace")[-3000:]
                    raise RuntimeError(f"{exc}; the server's log ends:\n{log}") from None
                _send(server.base, session, "Hello, thanks.", "warm-up", api)
            pids = [server.process.pid for server in servers]
            before = sum(_rss_kib(pid) for pid in pids)
            turns: list[float] = []
            errors: list[str] = []
            guard = threading.Lock()
            # Every round starts when all users are ready and ends when all have their
            # reply (a barrier each way), so each round's time is one turn of all N.
            ready = threading.Barrier(users + 1)
            done = threading.Barrier(users + 1)

            def user(i: int) -> None:
                base = servers[i % processes].base  # one user stays on one process
                try:
                    session: str | None = _start(base, f"user-{i}", api)
                except Exception as exc:
                    with guard:
                        errors.append(f"start: {exc}")
                    session = None
                for round_ in range(rounds):
                    ready.wait()
                    started = time.perf_counter()
                    try:
                        if session is not None:
                            line = f"User {i} here, round {round_}."
                            reply = _send(base, session, line, f"user-{i}", api)
                            if reply != REPLY:
                                raise RuntimeError(f"unexpected reply {reply!r}")
                            with guard:
                                turns.append(time.perf_counter() - started)
                    except Exception as exc:
                        with guard:
                            errors.append(f"send: {exc}")
                    done.wait()

            threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
            for thread in threads:
                thread.start()
            cpu = 0.0
            totals: list[float] = []
            for _ in range(rounds):
                ready.wait()  # every user has a session open and is about to send
                cpu -= sum(_cpu_seconds(pid) for pid in pids)
                started = time.perf_counter()
                done.wait()
                totals.append(time.perf_counter() - started)
                cpu += sum(_cpu_seconds(pid) for pid in pids)
            for thread in threads:
                thread.join()
            after = sum(_rss_kib(pid) for pid in pids)
        finally:
            for server in servers:
                server.stop()
        most_at_once = model.most_in_flight
    return {
        "users": users,
        "api": api,
        "processes": processes,
        "p50_s": round(statistics.median(turns), 3) if turns else None,
        "p95_s": round(_percentile(turns, 0.95), 3) if turns else None,
        # One turn of all N users: the median round, and every round in order (the
        # first is each session's first turn).
        "total_s": round(statistics.median(totals), 3),
        "rounds_total_s": [round(t, 3) for t in totals],
        "errors": len(errors),
        "first_errors": errors[:3],
        "model_calls_at_once": most_at_once,
        # The server's CPU time for the turns, per turn: Python runs one thread at a time,
        # so N turns at once cost at least N times this on top of the model's time.
        "server_cpu_ms_per_turn": round(cpu / (users * rounds) * 1000, 1),
        "server_rss_mib": round(after / 1024, 1),
        "rss_kib_per_session": round((after - before) / users),
    }


def _database() -> str:
    url = os.environ.get("REHEARSE_TEST_DATABASE_URL")
    if not url:
        raise Skipped("several processes share PostgreSQL: REHEARSE_TEST_DATABASE_URL is not set")
    return url


def _series(
    users: Sequence[int],
    reply_seconds: float,
    concurrency: int | None,
    processes: int = 1,
    api: Api = "gradio",
    rounds: int = ROUNDS,
) -> list[dict[str, Any]]:
    rows = [_one_n(n, reply_seconds, concurrency, processes, api, rounds) for n in users]
    single = rows[0]["p50_s"] if rows and rows[0]["users"] == 1 else None
    for row in rows:
        row["total_vs_one_user"] = round(row["total_s"] / single, 2) if single else None
    return rows


def _label(limit: int | None, processes: int, api: Api) -> str:
    label = f"{API_NAMES[api]}, "
    label += "default limit" if limit is None else f"--concurrency {limit}"
    return label if processes == 1 else f"{label}, {processes} processes on PostgreSQL"


def run(
    users: Sequence[int] = (1, 8, 32, 64),
    reply_seconds: float = 1.0,
    concurrency: Sequence[int | None] = (None,),
    processes: Sequence[int] = (1,),
    apis: Sequence[Api] = APIS,
    rounds: int = ROUNDS,
) -> dict[str, Any]:
    runs: dict[str, Any] = {}
    for limit in concurrency:
        for count in processes:
            # The APIs one after the other for each setting: their rows side by side.
            for api in apis:
                label = _label(limit, count, api)
                try:
                    runs[label] = _series(users, reply_seconds, limit, count, api, rounds)
                except Skipped as why:  # no PostgreSQL here: the one-process figures stand
                    runs[label] = {"skipped": str(why)}
    return {"reply_seconds": reply_seconds, "rounds": rounds, "runs": runs}


def summary(r: dict[str, Any]) -> str:
    parts = []
    for label, rows in r["runs"].items():
        if isinstance(rows, dict):
            parts.append(f"{label}: skipped, {rows['skipped']}")
            continue
        cells = ", ".join(
            f"N={row['users']}: p50 {row['p50_s']} s, p95 {row['p95_s']} s, all in "
            f"{row['total_s']} s ({row['total_vs_one_user']}x; rounds "
            f"{', '.join(f'{t:g}' for t in row['rounds_total_s'])} s), {row['errors']} errors, "
            f"{row['model_calls_at_once']} model calls at once, "
            f"server CPU {row['server_cpu_ms_per_turn']} ms/turn, "
            f"{row['rss_kib_per_session']:,} KiB/session"
            for row in rows
        )
        at32 = next((row for row in rows if row["users"] == 32), None)
        goal = ""
        if at32 and at32["total_vs_one_user"] is not None:
            met = at32["total_vs_one_user"] <= GOAL and not at32["errors"]
            goal = f" (goal <= {GOAL}x at N=32: {'met' if met else 'NOT met'})"
        parts.append(f"{label}: {cells}{goal}")
    return (
        f"model reply {r['reply_seconds']} s, {r['rounds']} rounds (all in: the median). "
        + "; ".join(parts)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--reply-seconds", type=float, default=1.0)
    parser.add_argument(
        "--rounds", type=int, default=ROUNDS, help="turns each user sends, all at once"
    )
    parser.add_argument(
        "--concurrency", type=int, nargs="*", help="limits to try (default: serve's default)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        nargs="+",
        default=[1],
        help="serve processes sharing PostgreSQL (more than 1 needs REHEARSE_TEST_DATABASE_URL)",
    )
    parser.add_argument(
        "--api",
        nargs="+",
        choices=APIS,
        default=list(APIS),
        help="the web APIs to measure, each its own series (default: both)",
    )
    args = parser.parse_args()
    limits = args.concurrency if args.concurrency else [None]
    result = run(args.users, args.reply_seconds, limits, args.processes, args.api, args.rounds)
    print(json.dumps(result, indent=2))
    print(summary(result))


if __name__ == "__main__":
    main()
