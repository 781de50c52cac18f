"""Practising in the terminal: the scene streams in, the user types, the debrief follows.

Works interactively and with piped input (one user turn per line), so sessions can be
scripted. Commands: /end, /hint, /learn, /pause (a grounding exercise), /rewind N, /retry,
/quit; in a scene with several characters also ``@Name`` (or ``@all``) at the start of a line,
/step-back Name and /invite Name. Every line shows its speaker's name.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import IO, Any

from simulator.director import addressing
from simulator.errors import ModelUnavailable, RehearseError
from simulator.learning import note_text, notes_brief
from simulator.report import debrief_text
from simulator.schema import Scenario
from simulator.session import Rehearsal

__all__ = ["play"]

HELP = (
    "Commands: /end finish and debrief, /hint a coaching hint, /learn the technique notes, "
    "/pause a moment to breathe, "
    "/rewind N redo your turn N, /retry ask the model again, /quit leave (the session stays "
    "resumable)."
)
GROUNDING_CHOICES = (
    "[When you are ready: 'continue' (or c) goes on with the scene, 'step down' (or s) "
    "has the character ease off, 'stop' (or /end) ends here with a debrief.]"
)
_CHOICE_WORDS = {
    "continue": "continue",
    "c": "continue",
    "1": "continue",
    "step down": "step_down",
    "step-down": "step_down",
    "/step-down": "step_down",
    "s": "step_down",
    "2": "step_down",
    "stop": "stop",
    "3": "stop",
}
GROUP_HELP = (
    "Several characters: start a line with @Name to speak to one (or just use their name), "
    "@all to speak to everyone; /step-back Name asks one to stay silent, /invite Name "
    "brings one in."
)


def help_text(scenario: Scenario) -> str:
    return f"{HELP}\n{GROUP_HELP}" if scenario.is_group else HELP


class Terminal:
    def __init__(self, rehearsal: Rehearsal, stdin: IO[str], stdout: IO[str]) -> None:
        self.rehearsal = rehearsal
        self.stdin = stdin
        self.out = stdout
        self.interactive = stdin.isatty()
        # Seconds per count of the paced breathing: real time on a terminal, none when
        # the input is piped (a script has nobody to breathe).
        self.pace = 1.0 if self.interactive else 0.0

    def write(self, text: str = "", end: str = "\n") -> None:
        self.out.write(text + end)
        self.out.flush()

    def show(self, events: Iterator[dict[str, Any]]) -> bool:
        """Print a stream of events; False when the model failed."""
        streaming: str | None = None
        try:
            for event in events:
                if event["type"] == "token":
                    if streaming != event["speaker"]:
                        self.write(f"\n{event['name']}: ", end="")
                        streaming = event["speaker"]
                    self.write(event["text"], end="")
                elif event["type"] == "safety":
                    self.write(
                        f"\n\n{event['text']}\n\n[Write 'I am safe' to carry on "
                        "practising, or /end to finish here.]"
                    )
                    streaming = None
                elif event["type"] == "grounding":
                    if streaming is not None:
                        self.write()
                    self.ground(event)
                    streaming = None
                elif event["type"] == "coach":
                    # Outside the scene, marked so it is never read as anyone's line.
                    self.write(f"\n[Coach: {event['text']}]")
                    streaming = None
                elif event["type"] == "presence":
                    if streaming is not None:
                        self.write()
                    what = "joins the conversation" if event["present"] else "steps back"
                    self.write(f"\n[{event['name']} {what}.]")
                    streaming = None
                elif event["type"] == "line":
                    if streaming == event["speaker"]:
                        self.write()
                    else:
                        self.write(f"\n{event['name']}: {event['text']}")
                    streaming = None
        except ModelUnavailable as exc:
            self.write(
                f"\n\n[{exc}]\n[Your line is saved. /retry asks again; /quit leaves "
                "and keeps the session.]"
            )
            return False
        return True

    def ground(self, pause: dict[str, Any]) -> None:
        """The grounding exercise: paced breathing, then the five senses (Ctrl+C skips)."""
        self.write(f"\n[{pause['message']}]")
        pattern = ", ".join(f"{b['step'].lower()} {b['seconds']}" for b in pause["breathing"])
        self.write(f"\nBreathing, {pause['cycles']} times: {pattern}.")
        try:
            if self.pace > 0:
                for cycle in range(1, pause["cycles"] + 1):
                    for step in pause["breathing"]:
                        self.write(f"  {step['step']}", end="")
                        for count in range(step["seconds"], 0, -1):
                            self.write(f" {count}", end="")
                            time.sleep(self.pace)
                        self.write()
                    self.write(f"  ({cycle} of {pause['cycles']})")
        except KeyboardInterrupt:
            self.write("\n  [Breathing skipped.]")
        self.write("\nNow notice, without hurrying:")
        for sense in pause["senses"]:
            self.write(f"  {sense}")
        self.write(f"\n{GROUNDING_CHOICES}")

    def read(self) -> str | None:
        if self.interactive:
            try:
                return input("\nYou: ")
            except EOFError:
                return None
        line = self.stdin.readline()
        if not line:
            return None
        line = line.rstrip("\n")
        self.write(f"\nYou: {line}")
        return line

    def finish(self) -> None:
        debrief = self.rehearsal.debrief()
        if debrief:
            self.write("\n" + debrief_text(debrief))
        self.write(
            f"\nSession {self.rehearsal.session_id} is finished. "
            f"Export it with: rehearse export {self.rehearsal.session_id} --format md"
        )

    def loop(self) -> int:
        while True:
            status = self.rehearsal.status
            if status == "finished":
                self.finish()
                return 0
            line = self.read()
            if line is None or line.strip() == "/quit":
                self.write(
                    f"\nSession {self.rehearsal.session_id} saved. Continue it with: "
                    f"rehearse resume {self.rehearsal.session_id}"
                )
                return 0
            command, _, argument = line.strip().partition(" ")
            try:
                if status == "grounding":
                    self.choose(line)
                    continue
                if status == "interrupted" and command in ("", "/retry"):
                    self.show(self.rehearsal.retry())
                elif command == "/retry":
                    self.write("[Nothing to retry.]")
                elif command == "/end":
                    self.show(self.rehearsal.end())
                elif status == "paused" and command in ("/hint", "/rewind", "/retry"):
                    self.write("[The practice is paused. Write 'I am safe' to carry on, or /end.]")
                elif command == "/pause":
                    self.show(self.rehearsal.pause())
                elif command == "/hint":
                    self.write(f"[Hint: {self.rehearsal.hint()}]")
                elif command == "/learn":
                    self.learn()
                elif command == "/help":
                    self.write(help_text(self.rehearsal.scenario))
                elif command == "/rewind":
                    self.rewind(argument)
                elif command in ("/step-back", "/invite"):
                    if not argument.strip():
                        raise RehearseError(f"Say who, e.g. {command} {self._a_name()}.")
                    action = (
                        self.rehearsal.step_back
                        if command == "/step-back"
                        else self.rehearsal.invite
                    )
                    self.show(action(argument))
                elif command.startswith("/"):
                    self.write(f"[Unknown command {command}. {help_text(self.rehearsal.scenario)}]")
                elif not line.strip():
                    continue
                else:
                    self.note_absent(line)
                    self.show(self.rehearsal.say(line))
            except RehearseError as exc:
                self.write(f"[{exc}]")

    def choose(self, line: str) -> None:
        """The answer after a grounding pause. A line of the scene carries on and is said."""
        words = " ".join(line.strip().lower().split())
        if words in ("/end", "/stop"):
            words = "stop"
        choice = _CHOICE_WORDS.get(words)
        if choice is None and (not words or words.startswith("/")):
            self.write(GROUNDING_CHOICES)  # a command (or nothing) is not an answer
            return
        if choice is None:  # the user is ready to go on: their line is not lost
            self.write("[Back to the scene.]")
            self.show(self.rehearsal.say(line))
            return
        if choice == "step_down":
            self.write("[The character eases off a little.]")
        elif choice == "continue":
            self.write("[Back to the scene.]")
        before = len(self.rehearsal.lines())
        self.show(self.rehearsal.ground(choice))
        lines = self.rehearsal.lines()
        # Nobody spoke (the user's own /pause): pick the scene up at its last line.
        if self.rehearsal.status == "awaiting_user" and len(lines) == before and lines:
            self.write(f"{lines[-1].name}: {lines[-1].text}")

    def learn(self) -> None:
        """The scene's technique notes in full (outside the scene; nothing is sent)."""
        notes = self.rehearsal.scenario.learning.notes
        if not notes:
            self.write("[This scene has no technique notes.]")
            return
        self.write("\n" + "\n\n".join(note_text(note) for note in notes))

    def _a_name(self) -> str:
        return self.rehearsal.scenario.persona().name.removeprefix("The ")

    def note_absent(self, line: str) -> None:
        """Say so when the line speaks to a character who stepped back (it stays silent)."""
        scenario = self.rehearsal.scenario
        if not scenario.is_group or self.rehearsal.status != "awaiting_user":
            return
        present = self.rehearsal.present()
        for who in addressing(scenario, line, present).speakers:
            if who not in present:
                name = scenario.persona(who).name
                self.write(f"[{name} has stepped back and stays silent; /invite {name} first.]")

    def rewind(self, argument: str) -> None:
        if not argument.strip().isdigit():
            raise RehearseError("Say which of your turns to redo, e.g. /rewind 2.")
        turn = int(argument)
        self.rehearsal.rewind(turn)
        self.write(f"[Back to just before your turn {turn}. The earlier version is kept.]")
        for line in self.rehearsal.lines()[-2:]:
            self.write(f"{line.name}: {line.text}")


def introduce(scenario: Scenario, difficulty: str, out: IO[str]) -> None:
    goals = "\n".join(f"  - {g.description} ({g.success})" for g in scenario.goals)
    text = [
        f"\n{scenario.title}  [{scenario.category}, {difficulty}]",
        "",
        scenario.summary,
        "",
        f"You are: {scenario.user_role}",
        f"Setting: {scenario.setting}",
        "",
        "Your goals:" if scenario.goals else "No goal: say whatever is on your mind.",
        goals,
    ]
    if scenario.is_group:
        text += ["", "In the scene:"]
        for member in scenario.cast:
            persona = scenario.persona(member.persona_id)
            waiting = "" if member.present else " (not here yet: /invite to bring them in)"
            text.append(f"  - {persona.name}: {' '.join(persona.who.split())}{waiting}")
    if scenario.learning.notes:
        text += ["", "The technique (/learn shows the full notes):"]
        text += notes_brief(scenario.learning.notes)
    if scenario.learning.before:
        text += ["", f"Before you start: {scenario.learning.before}"]
    text += ["", "This is practice with a simulated character, not therapy.", help_text(scenario)]
    out.write("\n".join(text) + "\n")


def play(
    rehearsal: Rehearsal, *, new: bool, stdin: IO[str] | None = None, stdout: IO[str] | None = None
) -> int:
    out = stdout or sys.stdout
    terminal = Terminal(rehearsal, stdin or sys.stdin, out)
    state = rehearsal.state()
    difficulty = state.difficulty if state else rehearsal.store.get(rehearsal.session_id).difficulty
    introduce(rehearsal.scenario, difficulty, out)
    terminal.write(f"Session {rehearsal.session_id}")
    if new:
        terminal.show(rehearsal.start())
    else:
        for line in rehearsal.lines():
            terminal.write(f"{line.name}: {line.text}")
        if rehearsal.status == "interrupted":
            terminal.write("[The last turn did not finish; asking the model again.]")
            terminal.show(rehearsal.retry())
        pause = rehearsal.grounding_exercise()
        if pause is not None:  # left during a pause to breathe: it is still there
            terminal.ground(pause)
    return terminal.loop()
