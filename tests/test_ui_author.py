"""The Author tab's handlers, called directly: form and YAML, checks, preview, runs, saves."""

from __future__ import annotations

import dataclasses
import random
import warnings
from pathlib import Path

import gradio as gr
import pytest
import yaml

from simulator.catalog import Catalog
from simulator.loader import scenario_from_text
from simulator.paths import user_dir
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import DATA, RecordingModel, fake_model
from ui.author import KEPT_DRAFTS, Author
from ui.author_form import (
    Form,
    apply_form,
    blank_template,
    dump_yaml,
    form_from_data,
    form_from_values,
    form_values,
    preview,
    values_for_reveal,
)
from ui.handlers import Studio

ALICE = gr.Request(username="alice")
BOB = gr.Request(username="bob")
REPLIES = [f"Honestly, it has been a long week ({i})." for i in range(1, 9)]


def catalog() -> Catalog:
    """The test scene plus the user's own folder (where the Author tab saves)."""
    return Catalog.load(
        [
            ("test", DATA / "scenarios", DATA / "personas"),
            ("user", user_dir("scenarios"), user_dir("personas")),
        ]
    )


def studio_on(store: SessionStore, *replies: str) -> Studio:
    return Studio(store, fake_model(*replies), catalog(), model_name="fake", assessor="rules")


@pytest.fixture
def author(store: SessionStore) -> Author:
    return Author(studio_on(store, *REPLIES))


def data_of(text: str) -> dict:
    return yaml.safe_load(text)


# --- form and YAML ------------------------------------------------------------------------


def test_form_to_yaml_and_back_is_the_same_form(author: Author) -> None:
    form = Form(
        id="night-shift",
        title="Telling Kim about the night shift",
        category="difficult-conversation",
        summary="Kim has covered three night shifts for you.",
        user_role="A nurse on the same ward.",
        setting="The staff room at 7am.",
        name="Kim",
        who="A colleague who covered for you.",
        background="Proud, tired, fair; has never asked for a favour back.",
        voice="Dry, short sentences.",
        wants="to be thanked properly\na fair rota",
        fears="being taken for granted",
        under_pressure="Goes sarcastic.",
        opening_line="Oh. You're in early.",
        goals=[["Thank Kim plainly.", "You name what Kim did.", "warmth >= 6"]],
        state=[["warmth", "3", "0", "10", "up"], ["irritation", "6", "0", "10", "down"]],
        reveals=[["Kim is applying for another job.", "warmth >= 7 and irritation < 3"]],
        difficulty="hard",
        max_turns=8,
        end_when="warmth >= 9",
    )
    text = dump_yaml(apply_form({}, form, author.personas))
    editor = author.edit_yaml(text, None)
    assert editor.valid, editor.verdict
    assert editor.form is not None
    back = editor.form
    for name in ("id", "title", "name", "wants", "fears", "goals", "reveals", "end_when"):
        assert getattr(back, name) == getattr(form, name), name
    assert back.state == [["warmth", 3, 0, 10, "up"], ["irritation", 6, 0, 10, "down"]]
    assert back.max_turns == 8 and back.difficulty == "hard"
    assert editor.difficulty == "hard"  # the preview starts at the scenario's own level
    # The components' values (tables end with a blank row to type in) lead to the same form.
    values = form_values(back)
    assert values[dataclasses.fields(Form).index(_field("goals"))][-1] == ["", "", ""]
    assert apply_form(data_of(text), form_from_values(values), author.personas) == data_of(text)


def _field(name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(Form) if f.name == name)


def test_a_form_edit_keeps_what_the_form_does_not_show(author: Author) -> None:
    data = blank_template()
    data["learning"] = {"after": "Notice where you apologised."}
    data["goals"][0]["keywords"] = ["what", "how"]
    data["state"]["trust"]["description"] = "How safe they feel with you."
    text = dump_yaml(data)
    form = author.edit_yaml(text, None).form
    assert form is not None
    changed = dataclasses.replace(form, title="A new title", fears="being judged\nlosing face")
    out = data_of(author.edit_form(text, changed, None).text)
    assert out["title"] == "A new title"
    assert out["cast"][0]["persona"]["fears"] == ["being judged", "losing face"]
    assert out["learning"] == {"after": "Notice where you apologised."}
    assert out["goals"][0]["keywords"] == ["what", "how"]
    assert out["state"]["trust"]["description"] == "How safe they feel with you."


def test_ids_follow_the_title_and_the_name_until_the_author_writes_them(
    author: Author,
) -> None:
    empty = author.start_empty(None)
    assert empty.form is not None and "missing required key 'id'" in empty.verdict
    form = dataclasses.replace(empty.form, title="Ask for a raise", name="Jordan Lee")
    data = data_of(author.edit_form(empty.text, form, None).text)
    # A bundled scenario has that id already: the draft gets a free one.
    assert data["id"] == "ask-for-a-raise-2"
    assert data["cast"][0]["persona"]["id"] == "jordan-lee"
    renamed = dataclasses.replace(form, id="my-raise", name="Jo")
    data = data_of(author.edit_form(dump_yaml(data), renamed, None).text)
    assert data["id"] == "my-raise"
    assert data["cast"][0]["persona"]["id"] == "jordan-lee"  # named once, it stays


def test_a_persona_named_by_id_stays_a_reference_until_the_form_changes_it(
    author: Author,
) -> None:
    text = (DATA / "scenarios" / "test-scene.yaml").read_text(encoding="utf-8")
    form = author.edit_yaml(text, None).form
    assert form is not None and form.name == "Sam"  # resolved for the form
    same = data_of(author.edit_form(text, dataclasses.replace(form, title="T"), None).text)
    assert same["cast"][0]["persona"] == "sam-test"
    edited = dataclasses.replace(form, voice="Slow and careful.")
    inline = data_of(author.edit_form(text, edited, None).text)["cast"][0]["persona"]
    assert inline["voice"] == "Slow and careful." and inline["name"] == "Sam"
    assert inline["private_notes"][0]["fact"].startswith("Sam has been covering")


def test_a_second_character_survives_form_edits(store: SessionStore) -> None:
    group = Catalog.load([("test", DATA / "group" / "scenarios", DATA / "group" / "personas")])
    author = Author(Studio(store, fake_model(), group, assessor="rules"))
    editor = author.start_copy(group.scenarios[0].id, None)
    assert editor.valid and len(editor.characters) == 3
    assert editor.form is not None
    out = author.edit_form(editor.text, dataclasses.replace(editor.form, name="Mother"), None)
    cast = data_of(out.text)["cast"]
    assert cast[0]["persona"]["name"] == "Mother"
    assert len(cast) == 3 and out.valid, out.verdict


# --- live validation ----------------------------------------------------------------------


def test_a_typo_names_its_line_and_the_nearest_key(author: Author) -> None:
    text = dump_yaml(blank_template()).replace("opening_line:", "opening_lne:")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "opening_lne" in t)
    editor = author.edit_yaml(text, None)
    assert not editor.valid
    assert f"**Line {line}** · `cast[0].opening_lne`: unknown key 'opening_lne'" in editor.verdict
    assert "did you mean 'opening_line'?" in editor.verdict


def test_a_wrong_type_names_the_field_and_line_in_plain_words(author: Author) -> None:
    text = dump_yaml(blank_template()).replace("start: 4", "start: four", 1)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "four" in t)
    verdict = author.edit_yaml(text, None).verdict
    assert f"**Line {line}** · `state.trust.start`: should be a number, like 4" in verdict


def test_a_wrong_value_lists_the_allowed_ones(author: Author) -> None:
    text = dump_yaml(blank_template()).replace("default: medium", "default: medum")
    verdict = author.edit_yaml(text, None).verdict
    assert "'medum' is not allowed" in verdict
    assert "use one of easy, medium, hard" in verdict and "did you mean 'medium'?" in verdict


def test_a_bundled_id_is_refused_while_typing(author: Author) -> None:
    text = dump_yaml({**blank_template(), "id": "ask-for-a-raise"})
    verdict = author.edit_yaml(text, None).verdict
    assert "'ask-for-a-raise' is a bundled scenario" in verdict
    with pytest.raises(gr.Error, match="bundled"):
        author.save(text, None)
    assert not (user_dir("scenarios") / "ask-for-a-raise.yaml").exists()


def test_broken_yaml_pauses_the_form_and_keeps_the_text(author: Author) -> None:
    text = dump_yaml(blank_template()) + "goals: [unclosed\n"
    editor = author.edit_yaml(text, None)
    assert editor.form is None and not editor.valid
    assert "invalid YAML" in editor.verdict
    form = form_from_data(blank_template(), author.personas)
    after = author.edit_form(text, dataclasses.replace(form, title="Other"), None)
    assert after.text == text  # never replaced by a guess
    assert "fix it there first" in after.notice


# --- the prompt preview -------------------------------------------------------------------


def test_the_preview_is_the_prompt_the_character_gets(store: SessionStore) -> None:
    recorder = RecordingModel(REPLIES[0])
    author = Author(Studio(store, recorder.model, catalog(), assessor="rules"))
    text = dump_yaml(blank_template())
    view = author.try_start(text, "hard", None)
    for _ in author.try_send(view.session_id, "What is going on for you?", None):
        pass
    rehearsal, _info = author.tryouts.open(view.session_id, None)
    state = rehearsal.state()
    assert state is not None
    values = state.trajectory[-1]["values"]
    shown = author.preview(text, "hard", None, values)
    assert shown.prompt == recorder.system(0)


def test_the_preview_shows_a_reveal_once_its_condition_holds(author: Author) -> None:
    text = (DATA / "scenarios" / "test-scene.yaml").read_text(encoding="utf-8")
    fact = "The deadline slipped because the spec changed twice."
    start = author.preview(text, "medium", None)
    assert fact not in start.prompt and start.revealed == [] and start.changes == []
    values = author.reveal_values(text, "deadline")
    assert values["trust"] >= 5 and values["defensiveness"] == 5
    shown = author.preview(text, "medium", None, values)
    assert fact in shown.prompt and shown.revealed == ["deadline"]
    assert f"+ - {fact}" in shown.changes
    assert shown.start_prompt == start.prompt
    # The private note at trust >= 6 is not yet told; moving the slider further tells it.
    assert "sick parent" not in shown.prompt
    assert "sick parent" in author.preview(text, "medium", None, {"trust": 7}).prompt


def test_values_for_a_reveal_take_the_nearest_alternative() -> None:
    data = blank_template()
    data["reveals"][0]["when"] = "trust >= 9 or defensiveness < 5"
    scenario = scenario_from_text(dump_yaml(data), "t", {})
    values = values_for_reveal(scenario, "what-happened")
    assert values == {"trust": 4, "defensiveness": 4}
    assert preview(scenario, "", values).revealed == ["what-happened"]


# --- test runs ----------------------------------------------------------------------------


def test_a_test_run_plays_the_draft_without_saving_it(author: Author) -> None:
    text = dump_yaml(blank_template()).replace("You wanted to talk?", "Make it quick.")
    view = author.try_start(text, "", ALICE)
    assert view.chat == [{"role": "assistant", "content": "**Alex**\nMake it quick."}]
    *_, last = author.try_send(view.session_id, "What is on your mind?", ALICE)
    assert last.chat[-1]["content"].endswith("Honestly, it has been a long week (1).")
    debrief = author.try_end(view.session_id, ALICE)
    assert "Ask what is going on for them." in debrief.text
    # Nothing was saved: no scenario file, no session in the author's own history.
    assert list(user_dir("scenarios").glob("*.yaml")) == []
    assert author.studio.store.list() == []
    assert author.studio.sessions(ALICE) == []
    # Someone else cannot reach the run.
    with pytest.raises(gr.Error):
        list(author.try_send(view.session_id, "Hello?", BOB))


def test_a_test_run_of_a_group_scene_can_invite_who_waits(store: SessionStore) -> None:
    group = Catalog.load([("test", DATA / "group" / "scenarios", DATA / "group" / "personas")])
    author = Author(Studio(store, fake_model(*REPLIES), group, assessor="rules"))
    text = author.start_copy(group.scenarios[0].id, None).text
    view = author.try_start(text, "", None)
    waiting = [m for m in view.cast if m.waiting]
    assert [m.persona_id for m in waiting] == ["gran-test"]
    opening = group.get(group.scenarios[0].id).member("gran-test").opening_line
    joined = author.try_presence(view.session_id, "gran-test", True, None)
    assert opening in joined.chat[-1]["content"]
    assert all(m.present for m in joined.cast)
    back = author.try_presence(view.session_id, "gran-test", False, None)
    assert [m.persona_id for m in back.cast if not m.present] == ["gran-test"]


def test_an_invalid_draft_cannot_be_test_run(author: Author) -> None:
    with pytest.raises(gr.Error, match="Fix the problems"):
        author.try_start("id: x\n", "", None)


# --- saving, versions, drafts -------------------------------------------------------------


def test_save_keeps_every_version_and_restores_any(author: Author) -> None:
    first = dump_yaml(blank_template())
    saved = author.save(first, None)
    assert saved.scenario_id == "my-scenario"
    assert "It is in the practice list now." in saved.notice
    assert ("My scenario", "my-scenario") in author.studio.scenario_choices()
    second = first.replace("title: My scenario", "title: My scenario, better")
    again = author.save(second, None)
    assert "previous version is kept" in again.notice
    assert len(again.versions) == 2 and again.versions[0][0].endswith("(current)")
    assert again.versions[0][0].startswith("#2 · ") and again.versions[1][0].startswith("#1 · ")
    older = again.versions[1][1]
    assert author.version_text("my-scenario", older) == first
    restored = author.restore("my-scenario", older, None)
    assert restored.text == first and restored.form is not None
    assert restored.scenario_id == "my-scenario"
    assert restored.form.title == "My scenario"
    assert len(author.versions("my-scenario")) == 3  # restoring is a save: undoable too
    path = user_dir("scenarios") / "my-scenario.yaml"
    assert path.read_text(encoding="utf-8") == first
    assert author.studio.catalog.get("my-scenario").title == "My scenario"


def test_a_saved_scenario_can_be_practised(author: Author) -> None:
    author.save(dump_yaml(blank_template()), None)
    view = author.studio.start("my-scenario", "easy", None)
    assert view.chat[0]["content"] == "**Alex**\nYou wanted to talk?"


def test_an_invalid_draft_is_kept_but_not_saved(author: Author) -> None:
    text = dump_yaml(blank_template()).replace("start: 4", "start: 40")
    with pytest.raises(gr.Error, match=r"Not saved: line \d+, state\.trust"):
        author.save(text, None)
    assert not (user_dir("scenarios") / "my-scenario.yaml").exists()
    assert author.resume(None).text == text


def test_a_draft_survives_a_new_studio(store: SessionStore) -> None:
    first = Author(studio_on(store))
    text = dump_yaml(blank_template()).replace("title: My scenario", "title: Half-writ")
    first.edit_yaml(text + "goals: [oops\n", ALICE)  # mid-typing, not even YAML
    first.edit_yaml(text, BOB)
    # A restart: a new store connection, studio and author over the same REHEARSE_HOME.
    store.close()
    again_store = SessionStore(store.path)
    try:
        later = Author(studio_on(again_store))
        alice = later.resume(ALICE)
        assert alice.text == text + "goals: [oops\n"
        assert alice.form is None and "invalid YAML" in alice.verdict
        assert later.resume(BOB).text == text
        assert "Your draft is back" in later.resume(BOB).notice
        fresh = later.resume(gr.Request(username="carol"))
        assert "title: My scenario" in fresh.text and fresh.valid
    finally:
        again_store.close()


def test_starting_something_else_sets_the_draft_aside(author: Author) -> None:
    author.start_blank(ALICE)
    untouched = author.start_empty(ALICE)  # an untouched template is not worth keeping
    assert "previous draft" not in untouched.notice
    assert author.earlier_drafts(ALICE) == []
    mine = dump_yaml(blank_template()).replace("title: My scenario", "title: Half-written")
    author.edit_yaml(mine, ALICE)
    copy = author.start_copy("test-scene", ALICE)
    assert "Your previous draft is kept under Earlier drafts." in copy.notice
    [(label, name)] = author.earlier_drafts(ALICE)
    assert label.startswith("Half-written (")
    assert author.earlier_drafts(BOB) == []
    with pytest.raises(gr.Error, match="earlier drafts"):
        author.open_draft(name, BOB)  # someone else's is not theirs to open
    back = author.open_draft(name, ALICE)
    assert back.text == mine and "Your earlier draft is back." in back.notice
    assert author.resume(ALICE).text == mine
    # The copy it replaced was untouched: nothing more to keep, and the opened one is gone.
    assert author.earlier_drafts(ALICE) == []


def test_a_saved_draft_is_not_set_aside_and_old_ones_are_pruned(author: Author) -> None:
    text = dump_yaml(blank_template())
    author.edit_yaml(text, None)
    author.save(text, None)
    author.start_empty(None)
    assert author.earlier_drafts(None) == []  # its text is in the saved versions
    for i in range(KEPT_DRAFTS + 2):
        author.edit_yaml(text.replace("title: My scenario", f"title: Try {i}"), None)
        author.start_empty(None)
    titles = [label.split(" (")[0] for label, _ in author.earlier_drafts(None)]
    assert titles == [f"Try {i}" for i in range(KEPT_DRAFTS + 1, 1, -1)]


def test_a_copy_takes_a_free_id_and_keeps_the_original(author: Author) -> None:
    editor = author.start_copy("test-scene", None)
    assert editor.valid and "id: test-scene-copy" in editor.text
    assert "private_notes" in editor.text  # the character came along, inline
    author.save(editor.text, None)
    assert author.start_copy("test-scene", None).text.count("test-scene-copy-2") == 1
    assert (
        (DATA / "scenarios" / "test-scene.yaml")
        .read_text(encoding="utf-8")
        .startswith("id: test-scene\n")
    )


# --- export and import --------------------------------------------------------------------


def test_export_then_import_elsewhere(author: Author, tmp_path: Path, monkeypatch) -> None:
    text = dump_yaml(blank_template())
    with pytest.raises(gr.Error, match="Save the scenario first"):
        author.export(text)
    author.save(text, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exported just as saved: nothing to warn about
        bundle = author.export(text)
    assert bundle.name == "my-scenario.rehearse.yaml"
    assert "bundle: rehearse/1" in bundle.read_text(encoding="utf-8")

    # Changed in the editor but not saved: the export says it carries the saved version.
    edited = text.replace("title: My scenario", "title: My scenario, edited")
    assert edited != text
    with pytest.warns(UserWarning, match="changes in the editor since it was saved"):
        again = author.export(edited)
    assert "My scenario, edited" not in again.read_text(encoding="utf-8")

    monkeypatch.setenv("REHEARSE_HOME", str(tmp_path / "elsewhere"))
    other_store = SessionStore(tmp_path / "other.sqlite")
    try:
        other = Author(studio_on(other_store))
        assert other.studio.scenario_choices() == [("A test scene", "test-scene")]
        editor = other.import_file(str(bundle), None)
        assert editor.valid and "Imported and saved" in editor.notice
        assert editor.form is not None and editor.form.title == "My scenario"
        assert ("My scenario", "my-scenario") in other.studio.scenario_choices()
    finally:
        other_store.close()


def test_importing_a_character_card(author: Author, tmp_path: Path) -> None:
    card = tmp_path / "kim.json"
    card.write_text(
        '{"spec": "chara_card_v2", "spec_version": "2.0", "data": {"name": "Kim", '
        '"description": "A nurse on nights.", "personality": "Dry, fair.", '
        '"scenario": "The staff room.", "first_mes": "Oh. You are early.", '
        '"mes_example": "", "creator_notes": "", "system_prompt": "", '
        '"post_history_instructions": "", "alternate_greetings": [], "tags": [], '
        '"creator": "", "character_version": "", "extensions": {}}}',
        encoding="utf-8",
    )
    editor = author.import_file(str(card), None)
    assert "Imported and saved" in editor.notice
    assert editor.form is not None and editor.form.opening_line == "Oh. You are early."


def test_rehearse_run_sessions_are_not_in_the_store(author: Author) -> None:
    view = author.try_start(dump_yaml(blank_template()), "", None)
    assert isinstance(author.tryouts.open(view.session_id, None)[0], Rehearsal)
    with pytest.raises(gr.Error):
        author.studio.open(view.session_id, None)


def test_odd_yaml_never_breaks_the_form(author: Author) -> None:
    """Whatever the YAML holds, checking it and merging the form into it never raises."""
    rng = random.Random(5)
    base = (DATA / "scenarios" / "test-scene.yaml").read_text(encoding="utf-8")
    oddities = ["[]", "{}", "7", "'x'", "null", "[1, {a: b}]", "{start: []}", "yes"]
    for _ in range(150):
        lines = base.splitlines()
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(lines))
            if rng.random() < 0.3:
                del lines[i]
            elif ":" in lines[i]:
                key = lines[i].split(":", 1)[0]
                lines[i] = f"{key}: {rng.choice(oddities)}"
        text = "\n".join(lines) + "\n"
        editor = author.edit_yaml(text, None)
        assert editor.verdict
        if editor.form is not None:
            after = author.edit_form(text, editor.form, None)
            assert after.form is None and after.verdict
