"""Imports: character cards (V2/V3, JSON/PNG), Patient-Psi models, bundles, clashes.

The fixtures in tests/data/imports/ were written by hand from the public specs (character
card spec V2 and V3; Patient-Psi's profile format); the PNG cards were made with Pillow,
an independent PNG writer, so the reader is not only checked against itself.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path

import pytest
import yaml

from simulator.authoring.bundle import export_bundle, read_bundle
from simulator.authoring.cards import card_from_bytes, png_text_chunks
from simulator.authoring.importing import ImportClash, apply_plan, plan_import
from simulator.authoring.workspace import Workspace
from simulator.catalog import Catalog
from simulator.errors import RehearseError, ScenarioFileError
from simulator.paths import bundled_dir

IMPORTS = Path(__file__).parent / "data" / "imports"


@pytest.fixture
def ws(rehearse_home: Path) -> Workspace:
    return Workspace()


def import_file(path: Path, ws: Workspace, on_clash: str = "refuse", **kw: str):  # type: ignore[no-untyped-def]
    plan = plan_import(path, ws, **kw)
    saved = apply_plan(plan, ws, on_clash)  # type: ignore[arg-type]
    return plan, {s.kind: s for s in saved}


def load_yaml(path: Path) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- PNG helpers: chunks built by hand, to damage them on purpose ------------------------


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(*chunks: bytes) -> bytes:
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    idat = chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + b"".join(chunks) + idat + chunk(b"IEND", b"")


def text_chunk(keyword: str, payload: dict | str) -> bytes:  # type: ignore[type-arg]
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    encoded = raw if isinstance(payload, str) else base64.b64encode(raw.encode()).decode()
    return chunk(b"tEXt", keyword.encode("latin-1") + b"\x00" + encoded.encode("latin-1"))


# --- character cards ---------------------------------------------------------------------


def test_v2_json_card_becomes_a_persona_and_a_scenario_shell(ws: Workspace) -> None:
    plan, saved = import_file(IMPORTS / "card_v2.json", ws)
    assert plan.format == "chara_card_v2"
    persona = load_yaml(saved["persona"].path)
    scenario = load_yaml(saved["scenario"].path)
    assert persona["id"] == "mara-quinn" and persona["name"] == "Mara Quinn"
    assert persona["who"].startswith("Mara Quinn is a 52-year-old night-shift ward sister")
    assert persona["voice"].startswith("Brisk, dry and economical")
    # {{char}} is the character's name, {{user}} the user; the constant lore is background.
    assert "{{" not in persona["background"]
    assert "Ward 7 is short-staffed" in persona["background"]
    assert persona["sample_lines"] == [
        "Sorry doesn't tell me what happened. Walk me through it.",
        "Two bays. Who gave you two bays?",
    ]
    assert scenario["cast"][0]["opening_line"].startswith("*Mara Quinn closes the office door")
    assert scenario["setting"].startswith("The user is a newly qualified nurse")
    # The keyed lorebook entry waits for trust; the disabled one is kept, not used.
    assert scenario["reveals"] == [
        {
            "id": "her-own-mistake",
            "fact": "Mara Quinn once made a similar error as a student and was shouted at in "
            "front of a patient; she swore never to do that to anyone.",
            "when": "trust >= 6",
        }
    ]
    catalog = Catalog.load()
    assert catalog.problems == []
    assert catalog.get("talking-with-mara-quinn").persona().name == "Mara Quinn"


def test_unknown_card_fields_and_extensions_are_kept_and_reported(ws: Workspace) -> None:
    plan, saved = import_file(IMPORTS / "card_v2.json", ws)
    unmapped = load_yaml(saved["persona"].path)["imported"]["unmapped"]
    original = json.loads((IMPORTS / "card_v2.json").read_text())["data"]
    assert unmapped["extensions"] == original["extensions"]  # x_custom_tool included
    assert unmapped["system_prompt"] == original["system_prompt"]
    assert unmapped["alternate_greetings"] == original["alternate_greetings"]
    book = unmapped["character_book"]
    assert book["extensions"] == {"world_flags": ["night"]} and book["scan_depth"] == 4
    assert book["entries"][0]["keys"] == ["last year", "before"]
    assert book["entries"][2]["content"] == "An incident audit is due next week."
    notes = "\n".join(plan.notes)
    for said in (
        "wants, fears, under_pressure: cards have no such fields",
        "system_prompt: not used",
        "alternate_greetings: 1 kept",
        "extensions: kept verbatim",
        "'audit': disabled or empty; kept, not used",
        "keys [last year, before] are kept, but Rehearse reveals by trust",
    ):
        assert said in notes, said
    # The character never sees what was kept: the imported block is not in its prompt.
    from simulator.character import character_prompt

    scenario = Catalog.load().get("talking-with-mara-quinn")
    prompt = character_prompt(scenario, scenario.cast[0], "medium", [])
    assert "Brisk, dry and economical" in prompt
    assert "x_custom_tool" not in prompt and "fourth wall" not in prompt


def test_v3_json_card(ws: Workspace) -> None:
    plan, saved = import_file(IMPORTS / "card_v3.json", ws)
    assert plan.format == "chara_card_v3"
    persona = load_yaml(saved["persona"].path)
    assert persona["name"] == "Theo Brandt"
    assert persona["background"].startswith("Theo Brandt is a landlord")  # <BOT> replaced
    assert "the user rents" in persona["background"]  # <USER> replaced
    unmapped = persona["imported"]["unmapped"]
    assert unmapped["extensions"] == {"rehearse_test_ext": {"keep": "me"}}
    assert unmapped["assets"][0]["uri"] == "ccdefault:"
    assert unmapped["nickname"] == "Theo" and unmapped["group_only_greetings"]
    assert unmapped["character_book"]["entries"][0]["use_regex"] is False
    assert "assets: images and other assets are not imported" in "\n".join(plan.notes)
    reveal = load_yaml(saved["scenario"].path)["reveals"][0]
    assert "behind on his own mortgage" in reveal["fact"]


@pytest.mark.parametrize(
    ("fixture", "name"), [("card_v2.png", "Mara Quinn"), ("card_v3.png", "Theo Brandt")]
)
def test_png_cards_made_by_another_writer(ws: Workspace, fixture: str, name: str) -> None:
    plan, saved = import_file(IMPORTS / fixture, ws)
    assert plan.format == ("chara_card_v3" if "v3" in fixture else "chara_card_v2")
    assert load_yaml(saved["persona"].path)["name"] == name
    assert Catalog.load().problems == []


def test_a_v1_card_without_spec_is_read(tmp_path: Path, ws: Workspace) -> None:
    v2 = json.loads((IMPORTS / "card_v2.json").read_text())["data"]
    v1 = {k: v2[k] for k in ("name", "description", "personality", "scenario", "first_mes")}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(v1))
    plan, saved = import_file(path, ws)
    assert plan.format == "chara_card_v1"
    assert load_yaml(saved["persona"].path)["voice"].startswith("Brisk")


def test_ccv3_wins_over_chara_in_one_png() -> None:
    v2 = json.loads((IMPORTS / "card_v2.json").read_text())
    v3 = json.loads((IMPORTS / "card_v3.json").read_text())
    raw = png(text_chunk("chara", v2), text_chunk("ccv3", v3))
    assert card_from_bytes(raw, "both.png").data["name"] == "Theo Brandt"
    assert card_from_bytes(png(text_chunk("chara", v2)), "v2.png").spec == "chara_card_v2"


def test_compressed_text_chunks_are_read() -> None:
    v2 = json.loads((IMPORTS / "card_v2.json").read_text())
    payload = base64.b64encode(json.dumps(v2).encode())
    itxt = chunk(b"iTXt", b"chara\x00\x01\x00\x00\x00" + zlib.compress(payload))
    ztxt = chunk(b"zTXt", b"chara\x00\x00" + zlib.compress(payload))
    assert png_text_chunks(png(itxt), "i.png")["chara"] == payload.decode()
    assert png_text_chunks(png(ztxt), "z.png")["chara"] == payload.decode()


def _damaged_crc() -> bytes:
    raw = bytearray(png(text_chunk("chara", {"spec": "x"})))
    raw[40] ^= 0xFF  # inside the tEXt chunk's body
    return bytes(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (png(), "holds no character card"),
        (png(text_chunk("chara", "not base64 !!")), "not base64-encoded"),
        (png(text_chunk("chara", base64.b64encode(b"{oops").decode())), "not valid JSON"),
        (_damaged_crc(), "is damaged"),
        (png()[:30], "runs past the end"),
        (png()[:-12], "cut short"),
        (png(text_chunk("chara", {"spec": "chara_card_v9", "data": {}})), "chara_card_v9"),
        (png(text_chunk("chara", {"spec": "chara_card_v2", "data": {"name": ""}})), "no name"),
        (
            png(
                text_chunk(
                    "chara",
                    {"spec": "chara_card_v2", "data": {"name": "A", "description": ["x"]}},
                )
            ),
            "data.description: expected text",
        ),
    ],
)
def test_malformed_png_cards_are_refused_clearly(
    tmp_path: Path, ws: Workspace, raw: bytes, message: str
) -> None:
    path = tmp_path / "card.png"
    path.write_bytes(raw)
    with pytest.raises(RehearseError) as caught:
        plan_import(path, ws)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_malformed_json_card_names_the_line(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "card.json"
    path.write_text('{\n  "spec": "chara_card_v2",\n  "data": {\n    "name": "A",,\n  }\n}\n')
    with pytest.raises(ScenarioFileError) as caught:
        plan_import(path, ws)
    assert caught.value.problems[0].line == 4


def test_a_card_too_large_to_keep_whole_drops_the_kept_extras_first(
    tmp_path: Path, ws: Workspace
) -> None:
    card = json.loads((IMPORTS / "card_v2.json").read_text())
    card["data"]["extensions"]["huge_tool_state"] = ["x" * 1000] * 400  # 400 KB
    card["data"]["tags"] = [str(i) for i in range(30_000)]  # more nodes than a file may hold
    path = tmp_path / "big.json"
    path.write_text(json.dumps(card))
    plan, saved = import_file(path, ws)
    persona = load_yaml(saved["persona"].path)
    assert "extensions" not in persona["imported"]["unmapped"]
    assert persona["imported"]["unmapped"]["system_prompt"]  # smaller extras stay
    assert "tags" not in persona["imported"]["unmapped"]
    assert any(n.startswith("extensions: not kept") for n in plan.notes)
    assert any(n.startswith("tags: not kept") for n in plan.notes)


@pytest.mark.parametrize("odd", [5, "one greeting", None, {"a": 1}, [1, [2]], True])
def test_extras_of_any_type_are_kept_as_they_are(
    tmp_path: Path, ws: Workspace, odd: object
) -> None:
    card = json.loads((IMPORTS / "card_v3.json").read_text())
    for key in ("alternate_greetings", "group_only_greetings", "assets", "tags", "extensions"):
        card["data"][key] = odd
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(card))
    _, saved = import_file(path, ws)
    unmapped = load_yaml(saved["persona"].path)["imported"]["unmapped"]
    assert unmapped["alternate_greetings"] == odd and unmapped["extensions"] == odd


def test_a_lorebook_entry_without_content_is_refused(tmp_path: Path, ws: Workspace) -> None:
    card = json.loads((IMPORTS / "card_v2.json").read_text())
    card["data"]["character_book"]["entries"][1] = "just a string"
    path = tmp_path / "card.json"
    path.write_text(json.dumps(card))
    with pytest.raises(ScenarioFileError, match=r"character_book\.entries\[1\]"):
        plan_import(path, ws)


# --- Patient-Psi ------------------------------------------------------------------------


def test_patient_psi_models_reveal_deeper_beliefs_only_as_trust_grows(ws: Workspace) -> None:
    plan = plan_import(IMPORTS / "patient_psi.json", ws)
    saved = apply_plan(plan, ws)
    assert [s.item_id for s in saved] == ["dana-7-1", "dana-7-2", "cbt-dana-7-1", "cbt-dana-7-2"]
    scenario = Catalog.load().get("cbt-dana-7-1")
    assert scenario.category == "clinical-practice"
    reveals = {r.id: r for r in scenario.reveals}
    assert list(reveals) == [
        "automatic-thought",
        "rules-and-assumptions",
        "beliefs-when-low",
        "core-belief",
    ]
    assert "They were always going to pick someone else." in reveals["automatic-thought"].fact
    assert "If I keep everyone happy" in reveals["rules-and-assumptions"].fact
    assert "If I say what I want, people will leave" in reveals["beliefs-when-low"].fact
    assert "I am powerless." in reveals["core-belief"].fact
    assert "I am bound to be rejected." in reveals["core-belief"].fact

    # Each layer needs more trust than the one before, and none is open at the start.
    thresholds = []
    for reveal in reveals.values():
        needed = min(
            c.value for g in scenario_conditions(reveal.when) for c in g if c.variable == "trust"
        )
        thresholds.append(needed)
    assert thresholds == sorted(thresholds) and len(set(thresholds)) == 4
    start = scenario.start_state()
    from simulator.schema import compiled

    assert not any(compiled(r.when).holds(start) for r in scenario.reveals)
    assert compiled(reveals["core-belief"].when).holds({**start, "trust": 10, "insight": 10})
    assert not compiled(reveals["core-belief"].when).holds({**start, "trust": 6, "insight": 10})

    # Styles: the first listed is the voice; the debrief notes hold the whole model.
    persona = scenario.persona()
    assert persona.voice.startswith("Answers directly")
    assert "Says little" in (scenario.difficulty.hard or "")
    assert "I am powerless." in (scenario.learning.after or "")
    assert persona.imported is not None
    assert persona.imported.unmapped["session_style_note"] == "for tests: an unknown field"
    assert "not mapped, kept under imported.unmapped: session_style_note" in "\n".join(plan.notes)
    # The second model keeps its separate depression field as a layer of its own.
    second = Catalog.load().get("cbt-dana-7-2")
    assert any("I'll be a burden" in r.fact for r in second.reveals)


def test_the_imported_client_discloses_layer_by_layer(ws: Workspace) -> None:
    from simulator.character import revealed_facts

    apply_plan(plan_import(IMPORTS / "patient_psi.json", ws), ws)
    scenario = Catalog.load().get("cbt-dana-7-1")
    persona = scenario.persona()
    start = scenario.start_state()

    def facts(**values: float) -> list[str]:
        record = {"values": {**start, **values}}
        return revealed_facts(scenario, persona, [record])  # type: ignore[list-item]

    assert facts() == []
    assert [f[:12] for f in facts(trust=4)] == ["In the situa"]
    assert len(facts(trust=6, insight=4)) == 2
    assert len(facts(trust=7, insight=5)) == 3
    everything = facts(trust=10, insight=10)
    assert len(everything) == 4 and "I am powerless." in everything[-1]


def scenario_conditions(text: str):  # type: ignore[no-untyped-def]
    from simulator.schema import compiled

    return compiled(text).groups


def test_a_patient_psi_model_with_missing_fields_names_them(tmp_path: Path, ws: Workspace) -> None:
    path = tmp_path / "psi.json"
    path.write_text(json.dumps([{"name": "X", "auto_thought": "t", "emotion": "sad"}]))
    with pytest.raises(ScenarioFileError) as caught:
        plan_import(path, ws)
    fields = {p.field for p in caught.value.problems}
    assert {"[0].history", "[0].intermediate_belief", "[0].situation"} <= fields


# --- clashes -----------------------------------------------------------------------------


def test_reimporting_the_same_card_changes_nothing(ws: Workspace) -> None:
    import_file(IMPORTS / "card_v2.json", ws)
    plan, saved = import_file(IMPORTS / "card_v2.json", ws)
    assert saved == {}
    assert "imported before, unchanged" in "\n".join(plan.notes)


def test_a_changed_card_takes_a_free_id_instead_of_overwriting(
    tmp_path: Path, ws: Workspace
) -> None:
    _, first = import_file(IMPORTS / "card_v2.json", ws)
    before = first["persona"].path.read_text(encoding="utf-8")
    card = json.loads((IMPORTS / "card_v2.json").read_text())
    card["data"]["personality"] = "Gentler now."
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(card))
    _, second = import_file(path, ws)
    assert second["persona"].item_id == "mara-quinn-2"
    assert load_yaml(second["scenario"].path)["cast"][0]["persona"] == "mara-quinn-2"
    assert first["persona"].path.read_text(encoding="utf-8") == before


# --- bundles -----------------------------------------------------------------------------


def test_bundle_round_trip_from_one_home_to_another(tmp_path: Path, ws: Workspace) -> None:
    # One trainer's own scene (two characters of their own) travels to another's home.
    for pid in ("ruth-mother", "tom-father"):
        text = (bundled_dir("personas") / f"{pid}.yaml").read_text(encoding="utf-8")
        ws.save(text.replace(f"id: {pid}", f"id: my-{pid}", 1))
    scene = (bundled_dir("scenarios") / "parents-at-dinner.yaml").read_text(encoding="utf-8")
    scene = scene.replace("ruth-mother", "my-ruth-mother").replace("tom-father", "my-tom-father")
    ws.save(scene.replace("id: parents-at-dinner", "id: my-dinner", 1))
    text = export_bundle(ws, "my-dinner")
    documents = read_bundle(text, "b.yaml")
    assert [d.kind for d in documents] == ["persona", "persona", "scenario"]

    other = Workspace(tmp_path / "other")
    path = tmp_path / "bundle.yaml"
    path.write_text(text, encoding="utf-8")
    saved = apply_plan(plan_import(path, other), other)
    assert [s.item_id for s in saved] == ["my-ruth-mother", "my-tom-father", "my-dinner"]
    original = Catalog.load().get("my-dinner")
    bundled = ("bundled", bundled_dir("scenarios"), bundled_dir("personas"))
    theirs = Catalog.load([bundled, ("user", other.folder("scenario"), other.folder("persona"))])
    assert theirs.get("my-dinner") == original
    # The author's text travels as written, comments included.
    assert (
        saved[-1].path.read_text(encoding="utf-8").rstrip()
        == ws.source_text("scenario", "my-dinner").rstrip()
    )


def test_importing_a_bundle_of_a_bundled_scenario_here_is_refused_then_renamed(
    tmp_path: Path, ws: Workspace
) -> None:
    path = tmp_path / "bundle.yaml"
    text = export_bundle(ws, "mi-ambivalent-drinking")
    path.write_text(text.replace("Rob", "Robert"), encoding="utf-8")
    with pytest.raises(ImportClash) as caught:
        apply_plan(plan_import(path, ws), ws)
    message = str(caught.value)
    assert "scenario 'mi-ambivalent-drinking' is bundled with Rehearse" in message
    assert "persona 'rob-drinking-client' is bundled with Rehearse" in message
    assert list(ws.folder("scenario").glob("*.yaml")) == []  # nothing written
    plan = plan_import(path, ws)
    saved = apply_plan(plan, ws, "rename")
    ids = sorted(s.item_id for s in saved)
    assert ids == ["mi-ambivalent-drinking-2", "rob-drinking-client-2"]
    scenario = Catalog.load().get("mi-ambivalent-drinking-2")
    assert scenario.persona().id == "rob-drinking-client-2"
    assert "Robert" in scenario.persona().name


def test_overwrite_replaces_only_your_own_and_keeps_the_old(tmp_path: Path, ws: Workspace) -> None:
    mine = (bundled_dir("scenarios") / "ask-for-a-raise.yaml").read_text(encoding="utf-8")
    mine = mine.replace("id: ask-for-a-raise", "id: my-raise", 1)
    ws.save(mine)
    path = tmp_path / "bundle.yaml"
    path.write_text(
        export_bundle(ws, "my-raise").replace("id: my-raise", "id: my-raise\n# edited", 1),
        encoding="utf-8",
    )
    with pytest.raises(ImportClash, match="is one of yours"):
        apply_plan(plan_import(path, ws), ws)
    saved = apply_plan(plan_import(path, ws), ws, "overwrite")
    assert [s.item_id for s in saved] == ["my-raise"]
    assert saved[0].replaced is not None and saved[0].replaced.text() == mine
    assert "# edited" in saved[0].path.read_text(encoding="utf-8")


def test_a_problem_inside_a_bundle_points_at_the_bundle_line(tmp_path: Path, ws: Workspace) -> None:
    text = export_bundle(ws, "ask-for-a-raise").replace("id: ask-for-a-raise", "id: raise-2", 1)
    text = text.replace("opening_line:", "openin_line:", 1)
    path = tmp_path / "bundle.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioFileError) as caught:
        apply_plan(plan_import(path, ws), ws, "rename")
    typo = next(p for p in caught.value.problems if "openin_line" in (p.field or ""))
    assert typo.file == str(path)
    assert text.splitlines()[typo.line - 1].strip().startswith("openin_line:")
    assert "did you mean 'opening_line'?" in typo.message
    assert list(ws.folder("scenario").glob("*.yaml")) == []


def test_an_imported_card_can_be_played_at_once(ws: Workspace, store) -> None:  # type: ignore[no-untyped-def]
    from simulator.session import Rehearsal
    from tests.conftest import RecordingModel

    import_file(IMPORTS / "card_v2.json", ws)
    scenario = Catalog.load().get("talking-with-mara-quinn")
    recorder = RecordingModel("Two bays. And nobody told me. Go on.")
    rehearsal = Rehearsal.begin(store, scenario, recorder.model, assessor="rules")
    events = list(rehearsal.start()) + list(rehearsal.say("I gave bed six's dose late."))
    spoken = [e for e in events if e.get("type") == "line" and e.get("speaker") == "mara-quinn"]
    assert spoken[0]["text"].startswith("*Mara Quinn closes the office door")  # first_mes
    assert spoken[-1]["text"] == "Two bays. And nobody told me. Go on."
    system = str(recorder.prompts[0][0].content)
    assert "Brisk, dry and economical" in system
    assert "fourth wall" not in system and "x_custom_tool" not in system


def test_an_oddly_shaped_bundle_gets_problems_not_a_traceback(
    tmp_path: Path, ws: Workspace
) -> None:
    text = export_bundle(ws, "mi-ambivalent-drinking").replace(
        "id: mi-ambivalent-drinking", "id: my-mi\nreveals: just text", 1
    )
    text = text.replace("\nreveals:\n", "\nreveal_list:\n", 1)
    text = text.replace("name: Rob", "name: Robert", 1)  # so the persona is renamed too
    path = tmp_path / "odd.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioFileError) as caught:
        apply_plan(plan_import(path, ws), ws, "rename")
    assert any(p.field == "reveals" for p in caught.value.problems)


MY_NOTE = """\
# My own way of teaching it.
id: my-downward-arrow
technique: The downward arrow, my way
summary: Follow a thought down to the belief under it, one question at a time.
steps:
  - Ask what the thought would mean if it were true.
  - Ask again of the answer.
"""


def _scene_with_my_note(ws: Workspace) -> str:
    ws.save(MY_NOTE, "note")
    text = (bundled_dir("scenarios") / "cbt-guided-discovery.yaml").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("  techniques:")]
    text = "\n".join(lines).replace(
        "\nlearning:\n", "\nlearning:\n  techniques: [my-downward-arrow]\n"
    )
    return text.replace("id: cbt-guided-discovery", "id: my-cbt", 1)


def test_a_bundle_carries_the_authors_own_technique_note(tmp_path: Path, ws: Workspace) -> None:
    ws.save(_scene_with_my_note(ws))
    text = export_bundle(ws, "my-cbt")
    assert "notes: [my-downward-arrow]" in text
    assert [d.kind for d in read_bundle(text, "b.yaml")] == ["note", "persona", "scenario"]
    other = Workspace(tmp_path / "other")
    path = tmp_path / "bundle.yaml"
    path.write_text(text, encoding="utf-8")
    plan = plan_import(path, other)
    saved = apply_plan(plan, other)
    # The bundled persona is reused, the note and the scenario are new there.
    assert [(s.kind, s.item_id) for s in saved] == [
        ("note", "my-downward-arrow"),
        ("scenario", "my-cbt"),
    ]
    assert (tmp_path / "other" / "learning" / "my-downward-arrow.yaml").read_text() == MY_NOTE
    bundled = ("bundled", bundled_dir("scenarios"), bundled_dir("personas"))
    theirs = Catalog.load([bundled, ("user", other.folder("scenario"), other.folder("persona"))])
    assert [n.id for n in theirs.get("my-cbt").learning.notes] == ["my-downward-arrow"]


def test_a_different_note_with_the_same_id_is_renamed_with_its_references(
    tmp_path: Path, ws: Workspace
) -> None:
    ws.save(_scene_with_my_note(ws))
    text = export_bundle(ws, "my-cbt").replace("Ask again of the answer.", "Ask once more.")
    path = tmp_path / "bundle.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportClash, match="note 'my-downward-arrow' is one of yours"):
        apply_plan(plan_import(path, ws), ws)
    saved = apply_plan(plan_import(path, ws), ws, "rename")
    assert [(s.kind, s.item_id) for s in saved] == [
        ("note", "my-downward-arrow-2"),
        ("scenario", "my-cbt-2"),
    ]
    scenario = Catalog.load().get("my-cbt-2")
    assert scenario.learning.notes[0].steps[-1] == "Ask once more."
    assert Catalog.load().get("my-cbt").learning.notes[0].steps[-1] == "Ask again of the answer."
