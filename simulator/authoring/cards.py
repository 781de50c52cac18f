"""SillyTavern / TavernAI character cards: read them, and turn one into a persona.

A card is JSON: ``{"spec": "chara_card_v2", "spec_version": "2.0", "data": {...}}`` (V2)
or the same with ``chara_card_v3`` / ``3.0`` (V3, which adds assets, nickname, creation
dates and group-only greetings); the oldest cards (V1) are the bare fields with no
``spec``. A PNG card carries the JSON base64-encoded in a ``tEXt`` chunk named ``chara``
(V1/V2) or ``ccv3`` (V3; it wins when both are present). The PNG is read with the
standard library only: chunks, lengths and CRCs are checked, so a damaged file gets a
message, not a traceback.

A card describes a character for open-ended role-play; a Rehearse persona also needs
what the character wants and fears and how they act under pressure, which cards do
not have. Those are written as ``TODO:`` lines that ``rehearse lint`` points at.
Everything else the card holds (system prompt, alternate greetings, extensions,
lorebook settings, assets...) is kept verbatim under ``imported.unmapped``, and the
report says what went where.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from simulator.authoring.workspace import slug
from simulator.errors import Problem, ScenarioFileError

__all__ = ["Card", "CardMapping", "card_from_bytes", "is_png", "map_card", "png_text_chunks"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_CARD_BYTES = 32 * 1024 * 1024  # PNG cards carry their portrait; the text is small
MAX_TEXT_BYTES = 4 * 1024 * 1024  # one text chunk, after decompression
TODO = "TODO:"

# Fields a card has that a persona or scenario takes over in full.
_MAPPED = ("name", "description", "personality", "scenario", "first_mes", "mes_example")
_NARRATION = ("description", "scenario")


@dataclass
class Card:
    """A parsed character card: its spec and its data fields."""

    spec: str  # chara_card_v1, chara_card_v2 or chara_card_v3
    data: dict[str, Any]
    wrapper: dict[str, Any] = field(default_factory=dict)  # top-level keys besides spec/data


@dataclass
class CardMapping:
    """A card turned into persona and scenario data, and what happened to each field."""

    persona: dict[str, Any]
    scenario: dict[str, Any]
    notes: list[str]  # one line per field that was not mapped as it stood


def is_png(raw: bytes) -> bool:
    return raw.startswith(PNG_SIGNATURE)


def _bad(file: str, message: str, field_name: str | None = None) -> ScenarioFileError:
    return ScenarioFileError([Problem(file, None, field_name, message)])


def png_text_chunks(raw: bytes, file: str) -> dict[str, str]:
    """The text chunks (``tEXt``, ``zTXt``, ``iTXt``) of a PNG, keyword -> text."""
    if not is_png(raw):
        raise _bad(file, "not a PNG file (its first bytes are not the PNG signature)")
    if len(raw) > MAX_CARD_BYTES:
        raise _bad(file, f"the image is {len(raw):,} bytes; the limit is {MAX_CARD_BYTES:,}")
    texts: dict[str, str] = {}
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 8 > len(raw):
            raise _bad(file, f"the PNG is cut short at byte {pos:,} (no IEND chunk)")
        length, kind = struct.unpack(">I4s", raw[pos : pos + 8])
        end = pos + 8 + length
        if end + 4 > len(raw):
            raise _bad(file, f"the PNG chunk {kind!r} at byte {pos:,} runs past the end of file")
        body = raw[pos + 8 : end]
        (crc,) = struct.unpack(">I", raw[end : end + 4])
        if zlib.crc32(kind + body) != crc:
            raise _bad(file, f"the PNG chunk {kind.decode('latin-1')!r} at byte {pos:,} is damaged")
        name = kind.decode("latin-1")
        if name in ("tEXt", "zTXt", "iTXt"):
            keyword, text = _text_chunk(name, body, file)
            texts.setdefault(keyword, text)
        if name == "IEND":
            return texts
        pos = end + 4


def _inflate(data: bytes, file: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_TEXT_BYTES)
    except zlib.error:
        raise _bad(file, "a compressed PNG text chunk is damaged") from None
    if inflater.unconsumed_tail:
        raise _bad(file, f"a PNG text chunk expands beyond {MAX_TEXT_BYTES:,} bytes")
    return out


def _text_chunk(kind: str, body: bytes, file: str) -> tuple[str, str]:
    keyword, sep, rest = body.partition(b"\x00")
    if not sep:
        raise _bad(file, f"a PNG {kind} chunk has no keyword")
    if kind == "tEXt":
        return keyword.decode("latin-1"), rest.decode("latin-1")
    if kind == "zTXt":
        return keyword.decode("latin-1"), _inflate(rest[1:], file).decode("latin-1")
    # iTXt: compression flag, method, language tag \0, translated keyword \0, UTF-8 text
    if len(rest) < 2:
        raise _bad(file, "a PNG iTXt chunk is cut short")
    compressed, rest = rest[0], rest[2:]
    _language, _, rest = rest.partition(b"\x00")
    _translated, _, text = rest.partition(b"\x00")
    if compressed:
        text = _inflate(text, file)
    try:
        return keyword.decode("latin-1"), text.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad(file, "a PNG iTXt chunk is not UTF-8 text") from None


def _json(text: str, file: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioFileError(
            [Problem(file, exc.lineno, None, f"not valid JSON: {exc.msg} (column {exc.colno})")]
        ) from None


def card_from_bytes(raw: bytes, file: str) -> Card:
    """A card from the bytes of a ``.json`` or ``.png`` file."""
    if is_png(raw):
        texts = png_text_chunks(raw, file)
        keyword = "ccv3" if "ccv3" in texts else "chara" if "chara" in texts else None
        if keyword is None:
            raise _bad(
                file,
                "this PNG holds no character card (no 'chara' or 'ccv3' text chunk); "
                "it may be a plain image, or its text was stripped when it was shared",
            )
        try:
            text = base64.b64decode(texts[keyword].strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise _bad(
                file, f"the PNG's {keyword!r} chunk is not base64-encoded UTF-8 text"
            ) from None
        data = _json(text, f"{file} ({keyword} chunk)")
    else:
        try:
            data = _json(raw.decode("utf-8-sig"), file)
        except UnicodeDecodeError:
            raise _bad(file, "the file is not UTF-8 text") from None
    return card_from_json(data, file)


def card_from_json(data: Any, file: str) -> Card:
    """Check a card's shape; a wrong type names the field."""
    if not isinstance(data, dict):
        raise _bad(
            file,
            f"not a character card (a JSON object with 'spec': 'chara_card_v2' or "
            f"'chara_card_v3') nor a Patient-Psi cognitive model; found a {type(data).__name__}",
        )
    spec = data.get("spec")
    if spec in ("chara_card_v2", "chara_card_v3"):
        body = data.get("data")
        if not isinstance(body, dict):
            raise _bad(file, f"a {spec} card needs a 'data' object", "data")
        wrapper = {k: v for k, v in data.items() if k not in ("spec", "data")}
        prefix = "data."
    elif spec is None and "name" in data and ("first_mes" in data or "description" in data):
        spec, body, wrapper, prefix = "chara_card_v1", data, {}, ""
    else:
        what = f"spec {spec!r}" if spec is not None else "no 'spec' field"
        raise _bad(
            file,
            f"not a character card Rehearse can read ({what}; expected chara_card_v2 or "
            "chara_card_v3), nor a Patient-Psi cognitive model",
            "spec",
        )
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _bad(file, "the card has no name", f"{prefix}name")
    for key in _MAPPED:
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise _bad(file, f"expected text, found {type(value).__name__}", f"{prefix}{key}")
    book = body.get("character_book")
    if book is not None:
        entries = book.get("entries") if isinstance(book, dict) else None
        if not isinstance(entries, list):
            raise _bad(file, "a character book needs a list of entries", f"{prefix}character_book")
        for i, entry in enumerate(entries):
            where = f"{prefix}character_book.entries[{i}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("content", ""), str):
                raise _bad(file, "an entry needs 'content' text", where)
            keys = entry.get("keys", [])
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise _bad(file, "'keys' must be a list of words", f"{where}.keys")
    return Card(spec, dict(body), wrapper)


# --- mapping ---------------------------------------------------------------------------


def _macros(text: str, name: str, user: str = "you") -> str:
    """Replace the card macros: the character by name, the user by ``user``.

    Spoken lines address the user ("you"); narration about them (a card's description
    and scenario) reads better as "the user" ("the user is a new nurse").
    """
    text = re.sub(r"\{\{\s*char\s*\}\}|<BOT>", name, text, flags=re.IGNORECASE)
    return re.sub(r"\{\{\s*user\s*\}\}|<USER>", user, text, flags=re.IGNORECASE).strip()


def _sample_lines(example: str, name: str) -> list[str]:
    """The character's own lines from ``mes_example`` (``{{char}}: ...``), up to six."""
    lines = []
    for raw in example.splitlines():
        match = re.match(
            r"^\s*(?:\{\{\s*char\s*\}\}|<BOT>|" + re.escape(name) + r")\s*:\s*(.+)$",
            raw,
            re.IGNORECASE,
        )
        if match:
            line = _macros(match.group(1), name)
            if line:
                lines.append(line)
    return lines[:6]


def _count(value: Any) -> int:
    # Extras are kept as they are, whatever their type: a card may hold a lone string.
    return len(value) if isinstance(value, list | dict) else 1


def _first_sentence(text: str, limit: int = 240) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text.strip(), re.DOTALL)
    sentence = (match.group(1) if match else text.strip()).replace("\n", " ")
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def map_card(
    card: Card, persona_id: str, scenario_id: str, source: str, category: str
) -> CardMapping:
    """Persona and scenario-shell data for a card, with a note per unmapped field."""
    data = card.data
    name = data["name"].strip()
    text = {
        key: _macros(data.get(key) or "", name, "the user" if key in _NARRATION else "you")
        for key in _MAPPED
        if key != "name"
    }
    text = {key: value[:1].upper() + value[1:] for key, value in text.items()}
    notes: list[str] = []
    unmapped = {k: v for k, v in data.items() if k not in _MAPPED and k != "character_book"}
    unmapped.update({f"card.{k}": v for k, v in card.wrapper.items()})

    background = text["description"] or f"{TODO} {name}'s history (the card has no description)"
    if not text["description"]:
        notes.append("description: empty; background is a TODO line")
    persona: dict[str, Any] = {
        "id": persona_id,
        "name": name,
        "who": _first_sentence(text["description"])
        if text["description"]
        else (f"{TODO} who {name} is to you"),
        "voice": text["personality"] or f"{TODO} how {name} speaks (the card has no personality)",
        "background": background,
        "wants": [f"{TODO} what {name} wants from this conversation (cards do not say)"],
        "fears": [f"{TODO} what {name} fears or protects (cards do not say)"],
        "under_pressure": f"{TODO} how {name} behaves when pushed, blamed or cornered",
    }
    notes.append(
        "wants, fears, under_pressure: cards have no such fields; written as TODO lines "
        "to fill in (`rehearse lint` lists them)"
    )
    if not text["personality"]:
        notes.append("personality: empty; voice is a TODO line")
    samples = _sample_lines(data.get("mes_example") or "", name)
    if samples:
        persona["sample_lines"] = samples
    if data.get("mes_example") and not samples:
        notes.append("mes_example: no '{{char}}:' lines found; kept under imported.unmapped")
        unmapped["mes_example"] = data["mes_example"]
    elif data.get("mes_example"):
        notes.append(
            f"mes_example: {len(samples)} of the character's lines became sample_lines; "
            "the user's example lines are not used"
        )

    reveals, constant, book_rest = _map_book(data.get("character_book"), name, notes)
    if constant:
        persona["background"] = background + "\n\n" + "\n\n".join(constant)
    if book_rest:
        unmapped["character_book"] = book_rest

    for key in sorted(unmapped):
        if key == "extensions" and unmapped[key]:
            notes.append("extensions: kept verbatim under imported.unmapped.extensions")
        elif key in ("system_prompt", "post_history_instructions") and unmapped[key]:
            notes.append(
                f"{key}: not used (Rehearse writes its own character prompt and safety rules); "
                "kept under imported.unmapped"
            )
        elif key in ("alternate_greetings", "group_only_greetings") and unmapped[key]:
            notes.append(
                f"{key}: {_count(unmapped[key])} kept under imported.unmapped; the scene "
                "opens with first_mes"
            )
        elif key == "assets" and unmapped[key]:
            notes.append("assets: images and other assets are not imported; kept as references")
        elif key == "creator_notes" and unmapped[key]:
            notes.append("creator_notes: kept under imported.unmapped (read them for intent)")
    persona["imported"] = {"source": source, "format": card.spec, "unmapped": unmapped}

    opening = text["first_mes"] or f"{TODO} the first thing {name} says"
    if not text["first_mes"]:
        notes.append("first_mes: empty; the opening line is a TODO line")
    scenario: dict[str, Any] = {
        "id": scenario_id,
        "title": f"A conversation with {name}",
        "category": category,
        "summary": text["scenario"]
        or f"A conversation with {name}, imported from a character "
        "card. TODO: say what the user practises here.",
        "user_role": f"{TODO} who you are to {name} in this scene",
        "setting": text["scenario"] or f"{TODO} where and when the scene takes place",
        "cast": [{"persona": persona_id, "opening_line": opening}],
        "goals": [
            {
                "id": "your-goal",
                "description": f"{TODO} what the user practises with {name}",
                "success": f"{TODO} what it looks like when the user has done it",
            }
        ],
        "state": {
            "trust": {
                "start": 4,
                "description": f"How safe {name} feels with you. Added on import: cards have "
                "no hidden state; reveals from the character book wait for it.",
            }
        },
    }
    if reveals:
        scenario["reveals"] = reveals
    scenario["imported"] = {"source": source, "format": card.spec}
    notes.append(
        "scenario: a shell (title, user role, goal and success are TODO lines); the card's "
        "scenario text became the summary and setting"
        if text["scenario"]
        else "scenario: a shell; the card has no scenario text, so summary and setting are TODO"
    )
    return CardMapping(persona, scenario, notes)


def _map_book(
    book: Any, name: str, notes: list[str]
) -> tuple[list[dict[str, Any]], list[str], dict[str, Any]]:
    """Lorebook entries: keyed ones become reveals, constant ones background.

    Returns (reveals, constant texts, what is left of the book to keep verbatim).
    """
    if not book:
        return [], [], {}
    reveals: list[dict[str, Any]] = []
    constant: list[str] = []
    kept_entries = []
    used: set[str] = set()
    for i, entry in enumerate(book.get("entries", [])):
        content = _macros(entry.get("content") or "", name)
        label = entry.get("name") or entry.get("comment") or f"entry {i}"
        rest = {k: v for k, v in entry.items() if k != "content"}
        if not content or entry.get("enabled") is False:
            notes.append(f"character_book {label!r}: disabled or empty; kept, not used")
            rest["content"] = entry.get("content", "")
        elif entry.get("constant"):
            constant.append(content)
            notes.append(f"character_book {label!r}: always active, so added to the background")
        else:
            reveal_id = _unique(slug(str(label))[:40].strip("-") or f"entry-{i}", used)
            keys = ", ".join(entry.get("keys", []))
            reveals.append({"id": reveal_id, "fact": content, "when": "trust >= 6"})
            notes.append(
                f"character_book {label!r}: became reveal {reveal_id!r} (when trust >= 6); its "
                f"keys [{keys}] are kept, but Rehearse reveals by trust, not by words"
            )
        kept_entries.append(rest)
    rest_book = {k: v for k, v in book.items() if k != "entries"}
    rest_book["entries"] = kept_entries
    return reveals, constant, rest_book


def _unique(base: str, used: set[str]) -> str:
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    used.add(candidate)
    return candidate
