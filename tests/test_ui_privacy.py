"""Deleting, forgetting and taking it with you, in the studio (issue #10, the web half).

The handlers are called directly (no server, no browser): deleting one's own session,
someone else's id refused like an unknown one, a session with a reply on its way left
alone, an archive of one's own sessions only, forgetting only one's own. The deletion
test searches the raw bytes of ``sessions.sqlite`` and its ``-wal`` and ``-shm`` for a
phrase typed in the deleted session. The last test clicks through it all in chromium.
"""

from __future__ import annotations

import json
import sqlite3
import stat
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from simulator.catalog import Catalog
from simulator.reframing import ReframeJournal
from simulator.store import SessionStore
from tests.conftest import fake_model
from ui import handlers
from ui.handlers import BUSY, BUSY_ALL, NO_SESSION, Practice, Studio
from ui.serving import CHROMIUM

SECRET = "cobalt-lantern-5307"  # typed in the session that is deleted
KEPT = "saffron-orchard-2864"  # typed in a session that stays
ALICE = gr.Request(username="alice")
BOB = gr.Request(username="bob")


class SpyModel(GenericFakeChatModel):
    """A fake model that runs ``during()`` whenever it is asked for a reply."""

    during: Callable[[], None] | None = None

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        if self.during is not None:
            self.during()
        return super()._generate(*args, **kwargs)


def replies(*texts: str) -> Iterator[AIMessage]:
    """The given replies, then plain ones for as long as they are asked for."""
    yield from (AIMessage(content=t) for t in texts)
    n = 0
    while True:
        n += 1
        yield AIMessage(content=f"Mm, go on ({n}).")


@pytest.fixture
def studio(store: SessionStore, test_catalog: Catalog) -> Studio:
    model = SpyModel(messages=replies(f"You said {SECRET}?", f"Again {SECRET}."))
    return Studio(store, model, test_catalog, model_name="fake", assessor="rules")


def say(studio: Studio, session_id: str, text: str, request: gr.Request) -> Practice:
    *_, last = studio.send(session_id, text, request)
    return last


def raw_bytes(db: Path) -> bytes:
    """Everything SQLite keeps on disk for this database."""
    return b"".join(
        Path(f"{db}{suffix}").read_bytes()
        for suffix in ("", "-wal", "-shm")
        if Path(f"{db}{suffix}").exists()
    )


def files_with(folder: Path, phrase: str) -> list[Path]:
    """Files under ``folder`` that hold ``phrase``, inside a zip too."""
    found = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        texts = [path.read_bytes()]
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                texts += [archive.read(name) for name in archive.namelist()]
        if any(phrase.encode() in text for text in texts):
            found.append(path)
    return found


def secret_session(studio: Studio, request: gr.Request = ALICE) -> str:
    """A finished session with the secret on two branches, its transcripts downloaded."""
    session = studio.start("test-scene", "", request).session_id
    say(studio, session, f"My secret is {SECRET}.", request)
    say(studio, session, f"Only you know {SECRET}.", request)
    studio.rewind(session, 2, request)  # a second branch; the first stays in the store
    say(studio, session, f"Put differently: {SECRET}.", request)
    studio.end(session, request)  # the debrief writes the two transcripts to download
    return session


def kept_session(studio: Studio, request: gr.Request = BOB) -> str:
    session = studio.start("test-scene", "", request).session_id
    say(studio, session, f"Please remember {KEPT}.", request)
    return session


def error_of(call: Callable[[], Any]) -> str:
    with pytest.raises(gr.Error) as caught:
        call()
    return str(caught.value.message)


# --- deleting one session ------------------------------------------------------------


def test_a_deleted_session_is_gone_from_the_files(studio: Studio, store: SessionStore) -> None:
    secret = secret_session(studio)
    kept = kept_session(studio, ALICE)
    archive = studio.export_all(ALICE)
    assert SECRET.encode() in raw_bytes(store.path)
    assert {p.suffix for p in files_with(studio.export_dir, SECRET)} == {".md", ".json", ".zip"}

    question = studio.delete_question(secret, ALICE)
    assert "A test scene" in question and "cannot be undone" in question
    assert [sid for _label, sid in studio.sessions(ALICE)] == [kept, secret]  # asking is not doing
    removal = studio.delete(secret, ALICE)

    assert removal.ids == [secret] and removal.wiped
    assert removal.notice.startswith("Deleted “A test scene”.")
    assert [sid for _label, sid in studio.sessions(ALICE)] == [kept]
    assert error_of(lambda: studio.resume(secret, ALICE)) == NO_SESSION
    data = raw_bytes(store.path)
    assert SECRET.encode() not in data and secret.encode() not in data
    assert KEPT.encode() in data
    # The downloads that held the text went too: transcripts, and the archive.
    assert files_with(studio.export_dir, SECRET) == [] and not archive.exists()
    assert archive.name in removal.files
    assert f"rehearse-test-scene-{secret}.md" in removal.files
    # The session that stays is untouched and can carry on.
    assert say(studio, kept, "And then?", ALICE).status == "awaiting_user"


def test_another_users_session_is_refused_like_an_unknown_one(studio: Studio) -> None:
    alices = secret_session(studio)
    for request in (BOB, None):  # another user, and the local user without --auth
        assert error_of(lambda r=request: studio.delete_question(alices, r)) == NO_SESSION
        assert error_of(lambda r=request: studio.delete(alices, r)) == NO_SESSION
    assert error_of(lambda: studio.delete("0123456789ab", BOB)) == NO_SESSION
    assert error_of(lambda: studio.delete("", ALICE)) == "Choose a session in the list first."
    assert [sid for _label, sid in studio.sessions(ALICE)] == [alices]
    assert SECRET.encode() in raw_bytes(studio.store.path)


def test_a_session_with_a_reply_on_its_way_is_not_deleted(studio: Studio) -> None:
    session = studio.start("test-scene", "", ALICE).session_id
    phase = ""
    attempts: list[tuple[str, str]] = []

    def delete_now() -> None:  # runs while the model is producing a reply
        try:
            studio.delete(session, ALICE)
            attempts.append((phase, "deleted"))
        except gr.Error as exc:
            attempts.append((phase, str(exc.message)))

    studio.model.during = delete_now  # type: ignore[attr-defined]
    phase = "reply"
    last = say(studio, session, "What is going on for you?", ALICE)
    phase = "hint"
    studio.assessor = "model"  # with the rules, a hint asks no model
    studio.hint(session, ALICE)
    studio.assessor = "rules"
    phase = "debrief"
    studio.end(session, ALICE)  # the debrief's rewrite
    studio.model.during = None  # type: ignore[attr-defined]

    assert set(attempts) == {("reply", BUSY), ("hint", BUSY), ("debrief", BUSY)}
    assert last.chat[-1]["content"] == f"**Sam**\nYou said {SECRET}?"  # the turn finished
    assert not studio.is_busy(session)
    assert studio.delete(session, ALICE).ids == [session]  # now it can go


def test_a_streaming_turn_holds_its_session_until_it_ends(studio: Studio) -> None:
    session = studio.start("test-scene", "", ALICE).session_id
    turn = studio.send(session, "What is going on for you?", ALICE)
    next(turn)  # the user's line is shown; the reply is about to stream in
    assert studio.is_busy(session)
    assert error_of(lambda: studio.delete(session, ALICE)) == BUSY
    assert error_of(lambda: studio.forget_all(ALICE)) == BUSY_ALL
    *_, last = turn
    assert last.status == "awaiting_user" and not studio.is_busy(session)
    assert studio.delete(session, ALICE).ids == [session]


def test_a_run_that_waited_finds_its_session_deleted(studio: Studio) -> None:
    session = studio.start("test-scene", "", ALICE).session_id
    rehearsal, _info = studio.open(session, ALICE)  # opened before the delete...
    studio.delete(session, ALICE)
    with pytest.raises(gr.Error, match="No session"), studio.exclusive(session):
        list(rehearsal.say("Hello?"))  # ...never runs after it
    conn = sqlite3.connect(studio.store.path)
    try:
        left = conn.execute("SELECT count(*) FROM checkpoints WHERE thread_id = ?", (session,))
        assert left.fetchone() == (0,)
    finally:
        conn.close()


@pytest.mark.parametrize("file", ["export_markdown", "export_json"])
def test_a_debrief_written_as_its_session_goes_leaves_no_file(
    studio: Studio, monkeypatch: pytest.MonkeyPatch, file: str
) -> None:
    secret = secret_session(studio)
    export = getattr(handlers, file)

    def then_delete(*args: Any, **kwargs: Any) -> str:
        text = export(*args, **kwargs)
        studio.delete(secret, ALICE)  # a click in another tab, just then
        return text

    monkeypatch.setattr(handlers, file, then_delete)
    assert error_of(lambda: studio.resume(secret, ALICE)) == NO_SESSION
    assert files_with(studio.export_dir, SECRET) == []


def test_a_delete_another_process_holds_back_says_so(studio: Studio, store: SessionStore) -> None:
    secret = secret_session(studio)
    other = sqlite3.connect(store.path)  # another process, in the middle of reading
    other.execute("BEGIN")
    other.execute("SELECT count(*) FROM checkpoints").fetchone()
    try:
        removal = studio.delete(secret, ALICE)
    finally:
        other.rollback()
        other.close()
    assert removal.ids == [secret] and not removal.wiped
    assert "Another Rehearse process has the session store open" in removal.notice
    assert studio.sessions(ALICE) == []
    store.close()  # the last process to close the store takes the last copies with it
    assert SECRET.encode() not in raw_bytes(store.path)


# --- everything at once --------------------------------------------------------------


def test_download_all_holds_only_the_users_own_sessions(studio: Studio) -> None:
    assert error_of(lambda: studio.export_all(ALICE)) == "You have no saved sessions yet."
    mine = [secret_session(studio), studio.start("test-scene", "easy", ALICE).session_id]
    bobs = kept_session(studio, BOB)

    archive = studio.export_all(ALICE)

    assert archive.parent.parent == studio.export_dir and archive.suffix == ".zip"
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert stat.S_IMODE(archive.parent.stat().st_mode) == 0o700
    with zipfile.ZipFile(archive) as zipped:
        manifest = json.loads(zipped.read("manifest.json"))
        everything = b"".join(zipped.read(name) for name in zipped.namelist())
    assert sorted(s["id"] for s in manifest["sessions"]) == sorted(mine)
    assert {s["owner"] for s in manifest["sessions"]} == {"alice"}
    assert SECRET.encode() in everything
    assert KEPT.encode() not in everything and bobs.encode() not in everything
    assert studio.export_all(ALICE) != archive  # each download is its own file


def test_forget_everything_deletes_only_the_users_own(studio: Studio, store: SessionStore) -> None:
    mine = [secret_session(studio), studio.start("test-scene", "", ALICE).session_id]
    bobs = kept_session(studio, BOB)
    archive = studio.export_all(ALICE)
    bobs_archive = studio.export_all(BOB)

    journal = ReframeJournal()
    for who in ("alice", "bob"):
        reframe = journal.new(owner=who)
        reframe.thought = f"{who} thinks it will all go wrong."
        journal.save(reframe)

    assert "all 2 of your sessions" in studio.forget_question(ALICE)
    removal = studio.forget_all(ALICE)

    assert sorted(removal.ids) == sorted(mine) and removal.wiped
    assert removal.notice.startswith("Deleted all 2 of your sessions and 1 saved reframe(s).")
    assert [r.owner for r in journal.list(None)] == ["bob"]
    assert studio.sessions(ALICE) == []
    assert [sid for _label, sid in studio.sessions(BOB)] == [bobs]
    data = raw_bytes(store.path)
    assert SECRET.encode() not in data and KEPT.encode() in data
    assert not archive.exists() and bobs_archive.exists()
    assert files_with(studio.export_dir, SECRET) == []
    assert error_of(lambda: studio.forget_question(ALICE)) == "You have no saved sessions."
    assert say(studio, bobs, "Still there?", BOB).status == "awaiting_user"
    # Reframes alone can be forgotten too.
    reframe = journal.new(owner="alice")
    reframe.thought = "alice will fail again."
    journal.save(reframe)
    assert "your 1 saved reframe(s)" in studio.forget_question(ALICE)
    assert studio.forget_all(ALICE).notice.startswith("Deleted your 1 saved reframe(s).")
    assert journal.list("alice") == []


def test_forget_everything_waits_for_a_reply_on_its_way(studio: Studio) -> None:
    session = studio.start("test-scene", "", ALICE).session_id
    bobs = kept_session(studio, BOB)
    turn = studio.send(bobs, "Still there?", BOB)
    next(turn)  # bob's turn is in flight: alice may still forget hers
    assert studio.forget_all(ALICE).ids == [session]
    list(turn)

    with studio.busy(bobs):  # and while bob's is, his own forget is refused
        assert error_of(lambda: studio.forget_all(BOB)) == BUSY_ALL
    assert studio.forget_all(BOB).ids == [bobs]


# --- in the browser ------------------------------------------------------------------


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing; install Debian's chromium (apt-get install chromium)",
)
@pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_delete_and_forget_in_the_browser(
    store: SessionStore, test_catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from ui.app import create_app
    from ui.serving import launch_chromium, release_event_loop, served

    cache = tmp_path / "gradio"  # Gradio's cache, where it serves downloads from
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(cache))
    model = fake_model(f"You said {SECRET}?", "Try asking.", "Noted.", "Noted again.")
    demo = create_app(store, model, test_catalog, assessor="rules")
    studio: Studio = demo.studio  # type: ignore[attr-defined]

    with served(demo) as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10_000)
        page.goto(url)

        page.get_by_role("button", name="Start this scene").click()
        expect(page.locator("#practice-heading")).to_contain_text("your turn 1 ")
        page.locator("#say textarea").fill(f"My secret is {SECRET}.")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator("#practice-heading")).to_contain_text("your turn 2 ")
        page.get_by_role("button", name="End & debrief").click()
        expect(page.locator("#debrief-goals")).to_contain_text("Ask an open question.")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download transcript (Markdown)").click()
        assert SECRET in Path(download.value.path()).read_text(encoding="utf-8")
        [secret] = [info.id for info in store.list()]
        # Gradio serves the studio's own file: there is no second copy to forget.
        assert files_with(cache, SECRET) == files_with(studio.export_dir, SECRET) != []

        # A second session, which stays.
        page.get_by_role("tab", name="Choose a scene").click()
        page.get_by_role("button", name="Start this scene").click()
        expect(page.locator("#practice-heading")).to_contain_text("your turn 1 ")
        page.locator("#say textarea").fill(f"Please remember {KEPT}.")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator("#practice-heading")).to_contain_text("your turn 2 ")

        # Everything, in one download.
        page.get_by_role("tab", name="Your sessions").click()
        page.get_by_role("button", name="Download all my sessions").click()
        with page.expect_download() as download:
            page.locator("#archive a").first.click()
        with zipfile.ZipFile(download.value.path()) as zipped:
            assert len(json.loads(zipped.read("manifest.json"))["sessions"]) == 2

        # Delete the first: the first click asks, "Keep it" keeps it...
        sessions = page.locator("#sessions")
        sessions.get_by_text("debrief ready", exact=False).click()
        page.locator("#delete-session").click()
        expect(page.locator("#confirm-delete")).to_contain_text("cannot be undone")
        page.locator("#delete-no").click()
        expect(page.locator("#confirm-delete")).to_be_hidden()
        assert len(store.list()) == 2
        # ...and the second click deletes what was asked about, whatever is selected then.
        page.locator("#delete-session").click()
        sessions.get_by_text("in progress", exact=False).click()
        page.locator("#delete-yes").click()
        expect(page.locator("#sessions-notice")).to_contain_text("Deleted “A test scene”")
        expect(sessions.get_by_text("debrief ready", exact=False)).to_have_count(0)
        expect(sessions.get_by_text("in progress", exact=False)).to_have_count(1)
        assert len(store.list()) == 1 and secret not in [info.id for info in store.list()]
        data = raw_bytes(store.path)
        assert SECRET.encode() not in data and KEPT.encode() in data
        assert files_with(cache, SECRET) == []
        expect(page.locator("#archive")).to_be_hidden()
        # Its debrief, still on the Debrief tab, went from the page; the practice stays.
        page.get_by_role("tab", name="Debrief").click()
        expect(page.get_by_text("End a scene to see its debrief here.")).to_be_visible()
        assert SECRET not in page.content()
        page.get_by_role("tab", name="Practise").click()
        expect(page.locator("#chat .message.user").last).to_have_text(f"Please remember {KEPT}.")
        page.get_by_role("tab", name="Your sessions").click()

        # Forget everything: the session on screen goes from the page as well.
        page.locator("#forget-all").click()
        expect(page.locator("#confirm-forget")).to_contain_text("Delete your session for good?")
        page.locator("#forget-yes").click()
        expect(page.locator("#sessions-notice")).to_contain_text("Deleted your session.")
        assert store.list() == [] and KEPT.encode() not in raw_bytes(store.path)
        page.get_by_role("tab", name="Practise").click()
        expect(page.get_by_text("Choose a scene to begin")).to_be_visible()
        expect(page.locator("#chat")).to_be_hidden()
        assert KEPT not in page.content()
        browser.close()
    release_event_loop()
