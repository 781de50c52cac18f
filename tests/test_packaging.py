"""The wheel carries the engine, the CLI, the web app and the bundled content.

An editable install finds ``scenarios/`` beside the package; a real install only has
what the wheel holds. So the wheel is built once for this module, unpacked into a
private folder and imported from there with the source tree off the path.

Cost: about 10 s with hatchling installed (``--no-build-isolation``), a few seconds
more when pip has to fetch hatchling into an isolated build environment. Every
subprocess has a timeout, and pip is told not to retry the network, so an offline
machine without hatchling skips instead of hanging.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("rehearse", "simulator", "ui")
CONTENT = ("scenarios", "personas", "learning")

PIP_ENV = {
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PIP_NO_INPUT": "1",
    "PIP_DEFAULT_TIMEOUT": "10",
    "PIP_RETRIES": "0",
}


def _run(command: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **PIP_ENV, **kwargs.pop("env", {})}
    try:
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env=env,
            **kwargs,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(command)} took longer than {timeout} s")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(ROOT)]
    isolated = importlib.util.find_spec("hatchling") is None
    if not isolated:
        command.insert(5, "--no-build-isolation")
    result = _run(command, timeout=90)
    if result.returncode != 0:
        output = result.stdout + result.stderr
        offline = "hatchling" in output and (
            "No matching distribution" in output or "Could not find a version" in output
        )
        if isolated and offline:
            pytest.skip("hatchling is not installed and pip cannot download it")
        pytest.fail(f"building the wheel failed:\n{output}")
    (built,) = out.glob("rehearse-*.whl")
    return built


@pytest.fixture(scope="module")
def site(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("installed") / "site"
    result = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def _source_files(folder: str, pattern: str) -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / folder).glob(pattern))


def test_wheel_contains_the_packages(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in PACKAGES:
        sources = _source_files(package, "*.py")
        assert f"{package}/__init__.py" in sources
        assert [name for name in sources if name not in names] == []
    assert not any(name.startswith("tests/") for name in names)


def test_wheel_contains_the_bundled_content_inside_the_engine(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for kind in CONTENT:
        files = [p.name for p in (ROOT / kind).glob("*.yaml")]
        assert files
        expected = {f"simulator/bundled/{kind}/{name}" for name in [*files, "schema.json"]}
        assert expected - names == set()
        # Not also at the top level, where it would land loose in site-packages.
        assert not any(name.startswith(f"{kind}/") for name in names)


def test_wheel_declares_the_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (entry_points,) = [n for n in archive.namelist() if n.endswith("entry_points.txt")]
        text = archive.read(entry_points).decode()
    assert "rehearse = rehearse.cli:main" in text


PROBE = """
import json
import simulator, rehearse, ui
from simulator.catalog import Catalog
from simulator.paths import bundled_dir

catalog = Catalog.load()
print(json.dumps({
    "modules": [m.__file__ for m in (simulator, rehearse, ui)],
    "scenarios": str(bundled_dir("scenarios")),
    "personas": str(bundled_dir("personas")),
    "ids": sorted(s.id for s in catalog.scenarios),
    "personas_loaded": len(catalog.personas),
    "problems": [str(p) for p in catalog.problems],
}))
"""


def test_installed_wheel_finds_its_bundled_scenarios(site: Path, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(site), "REHEARSE_HOME": str(tmp_path / "home")}
    result = _run([sys.executable, "-c", PROBE], timeout=60, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)

    resolved_site = site.resolve()
    for module in found["modules"]:
        assert Path(module).resolve().is_relative_to(resolved_site), module
    assert Path(found["scenarios"]).resolve() == resolved_site / "simulator/bundled/scenarios"
    assert Path(found["personas"]).resolve() == resolved_site / "simulator/bundled/personas"
    assert found["problems"] == []
    assert found["ids"] == sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    assert found["personas_loaded"] == len(list((ROOT / "personas").glob("*.yaml")))


def test_installed_cli_validates_its_bundled_content(site: Path, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(site), "REHEARSE_HOME": str(tmp_path / "home")}
    result = _run([sys.executable, "-m", "rehearse", "validate"], timeout=60, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    count = sum(len(list((ROOT / kind).glob("*.yaml"))) for kind in CONTENT)
    assert result.stdout.strip() == f"{count} file(s) valid."
