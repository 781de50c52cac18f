"""The checkpoint serialiser that decodes each stored transcript line once (issue #9)."""

from __future__ import annotations

import datetime

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from simulator.checkpoint_serde import MessageMemoSerializer
from simulator.schema import Scenario
from simulator.session import Rehearsal
from simulator.store import SessionStore
from tests.conftest import fake_model


def _checkpoint(*messages: AIMessage | HumanMessage) -> dict[str, object]:
    when = datetime.datetime(2026, 12, 2, tzinfo=datetime.UTC)
    return {"messages": list(messages), "turn": 3, "when": when, "pair": (1, "a")}


def test_a_stored_line_is_decoded_once_and_reads_back_the_same() -> None:
    memo, plain = MessageMemoSerializer(), JsonPlusSerializer()
    stored = plain.dumps_typed(
        _checkpoint(AIMessage(content="Hi.", name="sam", id="1"), HumanMessage("Hello", id="2"))
    )
    first, second = memo.loads_typed(stored), memo.loads_typed(stored)
    # Everything reads back exactly as LangGraph's own serialiser reads it ...
    assert first == second == plain.loads_typed(stored)
    # ... and the lines are the very objects decoded the first time, not rebuilt.
    assert all(a is b for a, b in zip(first["messages"], second["messages"], strict=True))
    assert memo.kept == (2, 2)  # decoded: the two lines, each also kept for writing back


def test_a_line_written_is_what_reading_its_bytes_hands_back() -> None:
    # The next turn reads back the lines this one wrote: they are not rebuilt.
    memo, plain = MessageMemoSerializer(), JsonPlusSerializer()
    lines = [AIMessage(content="Hi.", name="sam", id="1"), HumanMessage("Hello", id="2")]
    stored = memo.dumps_typed(_checkpoint(*lines))
    read = memo.loads_typed(stored)
    assert read == plain.loads_typed(stored)
    assert all(a is b for a, b in zip(read["messages"], lines, strict=True))


def test_writing_gives_langgraphs_own_bytes_first_time_and_every_time_after() -> None:
    memo, plain = MessageMemoSerializer(), JsonPlusSerializer()
    lines = [AIMessage(content="Hi.", name="sam", id="1"), HumanMessage("Hello", id="2")]
    stored = memo.dumps_typed(_checkpoint(*lines))
    assert stored == plain.dumps_typed(_checkpoint(*lines))
    assert memo.dumps_typed(_checkpoint(*lines)) == stored  # from the memo
    read = memo.loads_typed(stored)
    assert memo.dumps_typed(read) == stored  # a read line is written back as it was read


def test_a_line_without_an_id_is_encoded_afresh_once_it_gets_one() -> None:
    # add_messages gives a new line its id after the node made it: the one change a
    # line sees, so a line is remembered only once it has an id.
    memo, plain = MessageMemoSerializer(), JsonPlusSerializer()
    line = AIMessage(content="Sure.")
    assert memo.dumps_typed([line]) == plain.dumps_typed([line]) and memo.kept == (0, 0)
    line.id = "9"
    assert memo.dumps_typed([line]) == plain.dumps_typed([line])
    assert memo.loads_typed(memo.dumps_typed([line]))[0].id == "9"


def test_the_memo_goes_by_content_so_a_changed_line_is_never_stale() -> None:
    memo = MessageMemoSerializer()
    before = memo.loads_typed(memo.dumps_typed([AIMessage(content="Fine.", id="7")]))[0]
    after = memo.loads_typed(memo.dumps_typed([AIMessage(content="Not fine.", id="7")]))[0]
    assert (before.content, after.content) == ("Fine.", "Not fine.")


def test_the_memo_is_bounded() -> None:
    memo = MessageMemoSerializer(size=3)
    for n in range(5):
        memo.loads_typed(memo.dumps_typed([HumanMessage(f"line {n}", id=str(n))]))
    assert memo.kept == (3, 3)


def test_sessions_read_through_the_memo_and_deleting_one_empties_it(
    store: SessionStore, scene: Scenario
) -> None:
    rehearsal = Rehearsal.begin(store, scene, fake_model("It has.", "Yes."), assessor="rules")
    list(rehearsal.start())
    list(rehearsal.say("How has the week been?"))
    list(rehearsal.say("And today?"))
    # The graph's own reads went through it (LangGraph silently uses its default
    # serialiser when given one it takes for empty).
    assert store.checkpointer.serde is store.serde and min(store.serde.kept) >= 3
    assert [line.text for line in rehearsal.lines()][-2:] == ["And today?", "Yes."]
    store.delete(rehearsal.session_id)
    assert store.serde.kept == (0, 0)  # no deleted words stay in memory
