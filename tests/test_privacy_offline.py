"""Nothing leaves the machine except calls to the configured model endpoint.

The proof for the command line: a whole session of ``rehearse play --model local`` runs
in a network namespace that has only a loopback interface, so any outbound connection
would fail; and an audit hook in every Python process involved (the CLI and the
llama.cpp server it starts) records each address they connect to, send to, look up or
listen on, so an attempt that failed quietly would still show, and so would a server
listening beyond this computer. The web studio's proof is in the UI tests.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from langsmith.utils import tracing_is_enabled

import rehearse.cli  # noqa: F401  everything the command line loads, before the checks
from simulator.schema import Scenario
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import fake_model

ROOT = Path(__file__).resolve().parents[1]
TRACING = ("LANGSMITH_", "LANGCHAIN_")

# Every Python process started with this folder on PYTHONPATH logs its network use.
SITECUSTOMIZE = textwrap.dedent(
    """
    import json, os, sys

    _LOG = os.environ["REHEARSE_NETLOG"]

    def _record(event, args):
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind"):
            sock, address = args[0], args[-1]
            entry = {"event": event, "family": int(sock.family), "address": repr(address)}
            if isinstance(address, tuple):
                entry["host"] = str(address[0])
        elif event == "socket.getaddrinfo":
            entry = {"event": event, "host": None if args[0] is None else str(args[0])}
        else:
            return
        entry["pid"] = os.getpid()
        entry["argv"] = " ".join(sys.argv[:3])
        with open(_LOG, "a") as log:
            log.write(json.dumps(entry) + "\\n")

    sys.addaudithook(_record)
    """
)


def is_loopback(host: str | None) -> bool:
    if host is None:  # a lookup for a local bind
        return True
    host = host.strip("[]").lower()
    return host in ("localhost", "::1", "::ffff:127.0.0.1") or host.startswith("127.")


def audited_env(home: Path, tmp_path: Path, *path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose Python processes record every network event to a log.

    Tracing and model settings are cleared, so nothing but what the test sets is used;
    returns the environment and the log's path.
    """
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
    netlog = tmp_path / "net.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(TRACING)}
    for name in ("REHEARSE_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "PYTHONPATH"):
        env.pop(name, None)
    env |= {
        "REHEARSE_HOME": str(home),
        "REHEARSE_NETLOG": str(netlog),
        "PYTHONPATH": os.pathsep.join(str(p) for p in (hooks, *path)),
    }
    return env, netlog


def assert_only_loopback(events: list[dict[str, Any]]) -> None:
    """No recorded connect, lookup or listen reached beyond this computer."""
    elsewhere = [
        e
        for e in events
        if e.get("family") != 1  # AF_UNIX: a local socket, not a network
        and not is_loopback(e.get("host"))
    ]
    assert elsewhere == []


def assert_owner_only(home: Path) -> None:
    """Every folder in the data directory is 0700 and every file 0600."""
    for path in [home, *home.rglob("*")]:
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def offline_prefix() -> list[str]:
    """A command prefix that runs in a new network namespace with only loopback up."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs util-linux `unshare` and iproute2 `ip` to cut the network off")
    # The probe also shows that the cut works: an outside address is unreachable.
    probe = (
        "import socket, sys\n"
        "s = socket.socket(); s.settimeout(3)\n"
        "try:\n    s.connect(('1.1.1.1', 80))\nexcept OSError:\n    sys.exit(0)\n"
        "sys.exit(3)\n"
    )
    reasons = []
    for unshare in (["unshare", "--net"], ["unshare", "--net", "--map-root-user"]):
        done = subprocess.run(
            [*unshare, "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]
            + [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode == 0:
            return [*unshare, "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]
        if done.returncode == 3:
            pytest.fail("an outside address was reachable inside the network namespace")
        reasons.append(f"{' '.join(unshare)}: {done.stderr.strip() or done.returncode}")
    pytest.skip("creating a network namespace is not permitted here (" + "; ".join(reasons) + ")")


@pytest.mark.e2e
def test_a_whole_cli_session_runs_with_the_network_cut_off(
    rehearse_home: Path, tmp_path: Path
) -> None:
    prefix = offline_prefix()
    env, netlog = audited_env(rehearse_home, tmp_path)

    done = subprocess.run(
        [*prefix, sys.executable, "-m", "rehearse", "play", "ask-for-a-raise", "--model", "local"],
        input="Hi Jordan. I would like to talk about my pay.\n/end\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "DEBRIEF: Asking your manager for a raise" in done.stdout
    assert "Next practice" in done.stdout
    events = [json.loads(line) for line in netlog.read_text().splitlines()]
    # The hook ran in the CLI and reached the model server on loopback...
    assert any(
        e["event"] == "socket.connect" and e.get("host") == "127.0.0.1" and "rehearse" in e["argv"]
        for e in events
    ), events
    # ...the model server listened on loopback only...
    server = [e for e in events if "llama_server" in e["argv"] and e["event"] == "socket.bind"]
    assert server and all(is_loopback(e.get("host")) for e in server), events
    # ...and nothing, in either process, reached, looked up or listened on anything else.
    assert_only_loopback(events)
    # Everything the session left on disk is the owner's only.
    assert_owner_only(rehearse_home)


def test_tracing_stays_off_unless_the_user_turns_it_on(
    store: SessionStore, scene: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith(TRACING):
            monkeypatch.delenv(name)
    rehearsal = Rehearsal.begin(store, scene, fake_model("Sure.", "Rewrite."))
    list(rehearsal.start())
    list(rehearsal.say("Can we talk?"))
    list(rehearsal.end())

    assert [name for name in os.environ if name.startswith(TRACING)] == []
    assert not tracing_is_enabled()


def test_no_code_of_ours_touches_the_tracing_switches() -> None:
    switches = ("LANGSMITH_", "LANGCHAIN_TRACING", "LANGCHAIN_API_KEY", "tracing_v2_enabled")
    offenders = [
        f"{path.relative_to(ROOT)}: {switch}"
        for package in ("rehearse", "simulator", "ui")
        for path in sorted((ROOT / package).rglob("*.py"))
        for switch in switches
        if switch in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
