"""The role-play graph: routing, state updates, reveals and end conditions (fake models)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, SystemMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from simulator.context import Context
from simulator.graph import builder
from simulator.schema import GroundingSettings, Scenario
from tests.conftest import RecordingModel, fake_model

GOOD = "What's been going on for you? It sounds like this week has been a lot."
RUDE = "You always do this. It's your fault and you're being ridiculous."


def run(scene: Scenario, model: Any, turns: list[Any], difficulty: str = "medium") -> Any:
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    context = Context(scenario=scene, model=model, assessor="rules")
    graph.invoke({"scenario_id": scene.id, "difficulty": difficulty}, config, context=context)
    for turn in turns:
        graph.invoke(Command(resume=turn), config, context=context)
    return graph.get_state(config)


def test_opening_waits_for_the_user(scene: Scenario) -> None:
    snap = run(scene, fake_model(), [])
    assert snap.next == ("user_turn",)
    assert snap.interrupts and snap.interrupts[0].value == {"awaiting": "user", "turn": 1}
    [opening] = snap.values["messages"]
    assert opening.content == "You wanted to see me?" and opening.name == "sam-test"
    assert snap.values["trajectory"][0]["values"] == {"trust": 4, "defensiveness": 5}


def test_a_turn_is_assessed_then_answered(scene: Scenario) -> None:
    snap = run(scene, fake_model("It has, yes."), [{"text": GOOD}])
    values = snap.values
    assert [type(m).__name__ for m in values["messages"]] == [
        "AIMessage",
        "HumanMessage",
        "AIMessage",
    ]
    assert values["messages"][-1].content == "It has, yes."
    assert values["turn"] == 1
    record = values["trajectory"][-1]
    assert record["turn"] == 1 and record["source"] == "rules"
    assert {"open_question", "reflection"} <= set(record["moves"])
    # Helpful moves raise trust and lower defensiveness (desired: down).
    assert record["values"]["trust"] > 4 and record["values"]["defensiveness"] < 5
    assert "ask" in record["goals"]
    assert snap.next == ("user_turn",)


def test_a_one_character_turn_takes_only_the_steps_it_needs(scene: Scenario) -> None:
    # Each graph step costs time on every turn (issue #9): with one character there is
    # nobody for the director to choose, before the reply or after it.
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    context = Context(scenario=scene, model=fake_model("It has, yes."), assessor="rules")
    graph.invoke({"scenario_id": scene.id}, config, context=context)
    steps = [
        node
        for update in graph.stream(Command(resume={"text": GOOD}), config, context=context)
        for node in update
    ]
    assert steps == ["user_turn", "screen_turn", "assess", "character_reply", "__interrupt__"]
    assert graph.get_state(config).next == ("user_turn",)


def test_harmful_turn_moves_state_the_other_way(scene: Scenario) -> None:
    record = run(scene, fake_model("Fine."), [RUDE]).values["trajectory"][-1]
    assert record["values"]["trust"] < 4 and record["values"]["defensiveness"] > 5


def test_difficulty_changes_how_much_the_character_resists(scene: Scenario) -> None:
    def trust_after(level: str, line: str) -> float:
        snap = run(scene, fake_model("Okay."), [line], difficulty=level)
        return float(snap.values["trajectory"][-1]["values"]["trust"])

    assert trust_after("easy", GOOD) > trust_after("medium", GOOD) > trust_after("hard", GOOD)
    assert trust_after("hard", RUDE) < trust_after("medium", RUDE) < trust_after("easy", RUDE)


def test_state_stays_within_bounds(scene: Scenario) -> None:
    # No grounding pause (simulator.grounding) as defensiveness climbs: the bounds are the point.
    calm = scene.model_copy(update={"grounding": GroundingSettings(offer="off")})
    snap = run(calm, fake_model(*["Hm."] * 3), [RUDE, RUDE, RUDE])
    for record in snap.values["trajectory"]:
        assert 0 <= record["values"]["trust"] <= 10
        assert 0 <= record["values"]["defensiveness"] <= 10


def test_user_ending_routes_to_debrief(scene: Scenario) -> None:
    snap = run(scene, fake_model("Sure.", "rewrite"), [GOOD, {"end": True}])
    assert snap.next == ()
    assert snap.values["user_ended"] is True
    assert snap.values["debrief"]["ended_by"] == "user"


def test_max_turns_ends_the_scene(scene: Scenario) -> None:
    # test-scene allows four user turns.
    snap = run(scene, fake_model(*["Okay."] * 4, "rewrite"), ["Hello."] * 4)
    assert snap.next == ()
    assert snap.values["turn"] == 4
    assert snap.values["debrief"]["ended_by"] == "max_turns"


def test_state_condition_ends_the_scene(scene: Scenario) -> None:
    # end.when is trust >= 10: easy difficulty and good turns get there before turn 4.
    snap = run(scene, fake_model(*["Thank you."] * 4, "rewrite"), [GOOD] * 3, difficulty="easy")
    assert snap.next == ()
    assert snap.values["debrief"]["ended_by"] == "condition"
    assert snap.values["turn"] < 4


def test_reveals_enter_the_prompt_only_when_their_condition_holds(scene: Scenario) -> None:
    recorder = RecordingModel("First.", "Second.", "Third.")
    snap = run(scene, recorder.model, [RUDE, GOOD, GOOD], difficulty="easy")
    trust = [record["values"]["trust"] for record in snap.values["trajectory"]]
    secret = "covering for a sick parent"  # persona note, trust >= 6
    scenario_reveal = "spec changed twice"  # scenario reveal, trust >= 5
    deeper = "thinking of leaving"  # persona note, trust >= 9: never reached here
    assert max(trust) < 9
    for turn, prompt in enumerate(recorder.prompts, start=1):
        system = prompt[0]
        assert isinstance(system, SystemMessage)
        so_far = trust[: turn + 1]
        assert (secret in system.content) == any(t >= 6 for t in so_far), (turn, so_far)
        assert (scenario_reveal in system.content) == any(t >= 5 for t in so_far), (turn, so_far)
        assert deeper not in system.content
    # The scene crossed both thresholds, so both kinds of reveal were exercised.
    assert trust[1] < 5 and max(trust) >= 6


def test_prompt_carries_voice_state_and_the_fixed_safety_clause(scene: Scenario) -> None:
    recorder = RecordingModel("Okay.")
    run(scene, recorder.model, ["Hello."])
    system = recorder.prompts[0][0].content
    assert "You are Sam" in system and "Plain and short." in system
    assert "trust: moderate" in system and "defensiveness: moderate" in system
    assert "never encourage or instruct self-harm" in system
    # The character sees its own lines as its own and the user's as the other side.
    roles = [type(m).__name__ for m in recorder.prompts[0][1:]]
    assert roles == ["AIMessage", "HumanMessage"]


def test_reply_is_cleaned_of_speaker_tags_and_user_lines(scene: Scenario) -> None:
    snap = run(scene, fake_model('Sam: "I suppose."\nUser: then I say something'), ["Hi."])
    assert snap.values["messages"][-1].content == "I suppose."


def test_model_assessment_is_used_and_sanitised(scene: Scenario) -> None:
    from simulator.assessment import StateChange, TurnAssessment

    class Judge:
        def invoke(self, *_: Any) -> TurnAssessment:
            return TurnAssessment(
                changes=[
                    StateChange(variable="trust", change=9),  # clamped to +2
                    StateChange(variable="nonsense", change=1),
                ],  # dropped
                goals=["rapport", "no-such-goal"],
                note="Warm.",
            )

    model = fake_model("Okay.")
    object.__setattr__(model, "with_structured_output", lambda *_a, **_k: Judge())
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "m"}}
    context = Context(scenario=scene, model=model, assessor="model")
    graph.invoke({"scenario_id": scene.id}, config, context=context)
    graph.invoke(Command(resume="Hello."), config, context=context)
    record = graph.get_state(config).values["trajectory"][-1]
    assert record["source"] == "model" and record["note"] == "Warm."
    assert record["values"] == {"trust": 6.0, "defensiveness": 5}
    assert record["goals"] == ["rapport"]


def test_model_assessment_failure_falls_back_to_rules(scene: Scenario) -> None:
    # Fake chat models have no structured output: the rules must take over.
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "f"}}
    context = Context(scenario=scene, model=fake_model("Okay."), assessor="model")
    graph.invoke({"scenario_id": scene.id}, config, context=context)
    graph.invoke(Command(resume=GOOD), config, context=context)
    record = graph.get_state(config).values["trajectory"][-1]
    assert record["source"] == "rules" and record["values"]["trust"] > 4


@pytest.mark.parametrize("bad", [{"text": "   "}, 42])
def test_bad_resume_values_are_refused(scene: Scenario, bad: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        run(scene, fake_model(), [bad])


def test_character_reply_message_has_the_persona_name(scene: Scenario) -> None:
    last = run(scene, fake_model("Okay."), ["Hi."]).values["messages"][-1]
    assert isinstance(last, AIMessage) and last.name == "sam-test"


def test_the_model_stream_is_closed_once_the_reply_is_complete(scene: Scenario) -> None:
    model = fake_model("Fine.\nUser: " + "and on " * 500)
    consumed: list[str] = []
    closed: list[bool] = []
    original = model.stream

    def stream(messages: list[Any], *args: Any, **kwargs: Any) -> Any:
        try:
            for chunk in original(messages, *args, **kwargs):
                consumed.append(str(chunk.content))
                yield chunk
        finally:
            closed.append(True)

    object.__setattr__(model, "stream", stream)
    snap = run(scene, model, ["Hi."])
    assert snap.values["messages"][-1].content == "Fine."
    assert closed == [True]
    assert len(consumed) < 20  # the 1,000 pieces after the tag were never pulled


def test_local_model_caps_tokens_the_way_llama_cpp_reads_them() -> None:
    from rehearse.models import LOCAL_MAX_TOKENS, chat_model, settings

    local = chat_model(settings("local"), base_url="http://127.0.0.1:1/v1")
    assert local.extra_body == {"max_tokens": LOCAL_MAX_TOKENS}
