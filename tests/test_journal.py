"""Writing a session down (journal, story) and describing a character to draw or generate."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rehearse.cli import main
from simulator.catalog import Catalog
from simulator.picture import PNG, describe, generate_image, image_settings
from simulator.schema import Scenario
from simulator.session import Rehearsal
from simulator.store import SessionStore
from simulator.writing import write_up
from tests.conftest import DATA, BrokenChatModel, fake_model
from tests.fake_openai import TINY_PNG, FakeOpenAI
from ui import writing
from ui.handlers import Studio

FIRST = "I want to understand what happened with the deadline."
LAST = "Thanks for telling me. Let's plan the next one together."


@pytest.fixture
def played(store: SessionStore, scene: Scenario) -> Rehearsal:
    replies = ["The spec changed twice.", "Okay. I'd like that.", "rewrite"]
    rehearsal = Rehearsal.begin(store, scene, fake_model(*replies), assessor="rules")
    list(rehearsal.start())
    list(rehearsal.say(FIRST))
    list(rehearsal.say(LAST))
    list(rehearsal.end())
    return rehearsal


def test_journal_and_story_come_from_the_model_in_the_first_person(played: Rehearsal) -> None:
    args = (played.scenario, played.lines(), played.debrief())
    entry = "Today I sat down with Sam. I asked what happened, and I listened."
    assert write_up(*args, fake_model(entry), "journal") == {
        "form": "journal",
        "text": entry,
        "source": "model",
    }
    story = "Story: The office was quiet.\n\n“I want to understand,” I said."
    written = write_up(*args, fake_model(story), "story")
    assert written["source"] == "model" and written["text"].startswith("The office was quiet.")
    # Not in the first person (a tiny model drifting): the template, from their own lines.
    drift = write_up(*args, fake_model("Sam is a colleague. The deadline was missed."), "journal")
    assert drift["source"] == "template"


def test_the_templates_use_the_users_own_lines(
    played: Rehearsal, broken_model: BrokenChatModel
) -> None:
    args = (played.scenario, played.lines(), played.debrief())
    journal = write_up(*args, broken_model, "journal")
    assert journal["source"] == "template"
    assert journal["text"].startswith("Today I practised a conversation with Sam")
    assert f"I began with: “{FIRST}”" in journal["text"]
    story = write_up(*args, None, "story")["text"]
    assert "“You wanted to see me?” Sam said." in story  # no doubled punctuation
    assert f"“{FIRST[:-1]},” I said." in story and "“The spec changed twice,” Sam said." in story


def test_a_description_to_draw_from_the_persona_and_the_session(played: Rehearsal) -> None:
    args = (played.scenario, "sam-test", played.lines(), played.debrief())
    template = describe(*args)
    assert template["source"] == "template" and template["name"] == "Sam"
    assert "no words in the picture" in template["text"]
    painted = "A tired engineer at a desk, shoulders dropping, turning toward the window light."
    assert describe(*args, model=fake_model(painted))["text"] == painted


def test_images_are_off_by_default_and_made_by_the_endpoint_when_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert image_settings() is None
    with FakeOpenAI() as server:
        monkeypatch.setenv("REHEARSE_IMAGE_MODEL", "fake-image")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        settings = image_settings()
        assert settings is not None and settings.model == "fake-image"
        target = generate_image("A figure by a window.", tmp_path / "pic.png", settings)
        [request] = server.requests
    assert request["model"] == "fake-image" and request["prompt"] == "A figure by a window."
    assert target.read_bytes() == TINY_PNG and TINY_PNG.startswith(PNG)
    assert oct(target.stat().st_mode & 0o777) == "0o600"


def test_the_cli_writes_a_journal_and_a_picture(
    played: Rehearsal, rehearse_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    played.store.close()  # the CLI opens the store itself, and finds the test scene as yours
    for kind in ("scenarios", "personas"):
        shutil.copytree(DATA / kind, rehearse_home / kind, dirs_exist_ok=True)
    out = tmp_path / "entry.md"
    assert main(["journal", played.session_id, "--offline", "-o", str(out)]) == 0
    assert f"I began with: “{FIRST}”" in out.read_text(encoding="utf-8")
    assert main(["journal", played.session_id, "--story", "--offline"]) == 0
    assert f"“{FIRST[:-1]},” I said." in capsys.readouterr().out
    assert main(["picture", played.session_id, "--offline"]) == 0
    assert capsys.readouterr().out.startswith("Sam: ")
    assert "REHEARSE_IMAGE_MODEL" not in os.environ
    assert main(["picture", played.session_id, "--offline", "-o", str(tmp_path / "x.png")]) == 1
    assert "No image model is configured" in capsys.readouterr().err


def test_the_studio_writes_an_editable_download_and_draws_when_configured(
    store: SessionStore, test_catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    replies = ["The spec changed twice.", "rewrite", "Today I asked Sam.", "A figure at a desk."]
    studio = Studio(store, fake_model(*replies), test_catalog, assessor="rules")
    sid = studio.start("test-scene", "medium", None).session_id
    list(studio.send(sid, FIRST, None))
    studio.end(sid, None)
    text, path = writing.write(studio, sid, "Journal entry", None)
    assert text == "Today I asked Sam." and path.read_text(encoding="utf-8") == text + "\n"
    edited = writing.save(studio, sid, "Today I asked Sam, and I listened.", "Journal entry", None)
    assert edited == path and "and I listened" in path.read_text(encoding="utf-8")
    assert writing.characters(studio, sid, None) == [("Sam", "sam-test")]
    with FakeOpenAI() as server:
        monkeypatch.setenv("REHEARSE_IMAGE_MODEL", "fake-image")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        words, image = writing.picture(studio, sid, "sam-test", None)
    assert words == "A figure at a desk." and image is not None
    assert image.read_bytes() == TINY_PNG
    # Deleting the session deletes what was written and drawn from it.
    studio.delete(sid, None)
    assert not path.exists() and not image.exists()


def test_the_cli_writes_and_draws_through_a_real_endpoint(
    played: Rehearsal,
    rehearse_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    played.store.close()
    for kind in ("scenarios", "personas"):
        shutil.copytree(DATA / kind, rehearse_home / kind, dirs_exist_ok=True)
    with FakeOpenAI(reply="Today I asked Sam what happened, and I listened.") as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        assert main(["journal", played.session_id, "--model", "fake"]) == 0
        assert capsys.readouterr().out == "Today I asked Sam what happened, and I listened.\n"
        monkeypatch.setenv("REHEARSE_IMAGE_MODEL", "fake-image")
        target = tmp_path / "sam.png"
        assert main(["picture", played.session_id, "--model", "fake", "-o", str(target)]) == 0
        images = [r for r in server.requests if "prompt" in r]
    assert capsys.readouterr().out.startswith("Sam: Today I asked Sam")  # the fake's one reply
    assert target.read_bytes() == TINY_PNG
    [image] = images
    assert image["model"] == "fake-image" and image["prompt"].startswith("Today I asked Sam")
