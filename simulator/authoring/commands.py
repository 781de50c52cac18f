"""The authors' commands: ``rehearse import``, ``new``, ``lint`` and ``export-scenario``.

:func:`add_parsers` adds them to the ``rehearse`` command line (``rehearse/cli.py``).
Each command raises :class:`~simulator.errors.RehearseError` for anything the user can
fix, which the CLI prints as a message; modules are imported inside the commands so
that building the parser stays instant.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from simulator.errors import RehearseError

__all__ = ["add_parsers", "cmd_export_scenario", "cmd_import", "cmd_lint", "cmd_new"]


def _ask_clash(message: str) -> str:
    """On a terminal: rename, overwrite (own files only) or cancel."""
    print(message, file=sys.stderr)
    try:
        answer = input("[r]ename the imported ones / [o]verwrite yours / [c]ancel? [c] ")
    except EOFError:
        answer = ""
    return {"r": "rename", "o": "overwrite"}.get(answer.strip().lower()[:1], "cancel")


def cmd_import(args: argparse.Namespace) -> int:
    from simulator.authoring.importing import ImportClash, apply_plan, plan_import
    from simulator.authoring.workspace import Workspace

    workspace = Workspace()
    path = Path(args.file)
    on_clash = "rename" if args.rename else "overwrite" if args.overwrite else "refuse"
    plan = plan_import(path, workspace, category=args.category, style=args.style)
    try:
        saved = [] if args.dry_run else apply_plan(plan, workspace, on_clash)
    except ImportClash as clash:
        if on_clash != "refuse" or not sys.stdin.isatty():
            raise
        choice = _ask_clash(str(clash).split("\nImport with")[0])
        if choice == "cancel":
            print("Nothing imported.")
            return 1
        plan = plan_import(path, workspace, category=args.category, style=args.style)
        saved = apply_plan(plan, workspace, choice)  # type: ignore[arg-type]
    print(f"Read {path} as {plan.format}.")
    for note in plan.notes:
        print(f"  - {note}")
    if args.dry_run:
        print("Dry run: nothing written. These would be written:")
        for item in plan.items:
            print(f"  {item.kind} {item.item_id}")
        return 0
    if not saved:
        print("Nothing new to save: everything in it is here already.")
    for s in saved:
        replaced = f" (the previous version is kept: {s.replaced.stamp})" if s.replaced else ""
        print(f"Saved {s.kind} {s.item_id} to {s.path}{replaced}")
    scenarios = [s.item_id for s in saved if s.kind == "scenario"]
    if scenarios:
        print(f"Next: `rehearse lint` lists what is left to write; `rehearse play {scenarios[0]}`.")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from simulator.authoring.scaffold import Answers, ask, create
    from simulator.authoring.workspace import Workspace

    workspace = Workspace()
    answers = Answers(
        title=args.title,
        id=args.id,
        category=args.category,
        persona=args.persona,
        user_role=args.user_role,
        setting=args.setting,
        opening_line=args.opening_line,
        goal=args.goal,
        success=args.success,
    )
    if not args.no_input and sys.stdin.isatty():
        print("A new scenario. Press Enter to leave a TODO line for later.")
        ask(answers, input, workspace.personas())
    saved = create(answers, workspace)
    for s in saved:
        print(f"Wrote {s.kind} {s.item_id}: {s.path}")
    print(
        "Next: fill in the TODO lines (`rehearse lint` lists them), then "
        f"`rehearse play {saved[-1].item_id}`."
    )
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    from simulator.authoring.issues import Issue
    from simulator.authoring.lint import lint_file
    from simulator.authoring.workspace import Workspace

    workspace = Workspace()
    if args.paths:
        files = [
            p
            for path in args.paths
            for p in (sorted(Path(path).glob("*.y*ml")) if Path(path).is_dir() else [Path(path)])
        ]
    else:
        folders = [workspace.folder("persona"), workspace.folder("scenario")]
        if args.all:
            folders = [
                workspace.bundled_folder("persona"),
                workspace.bundled_folder("scenario"),
                *folders,
            ]
        files = [p for folder in folders for p in sorted(folder.glob("*.y*ml"))]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise RehearseError(f"No such file: {', '.join(missing)}")
    personas = dict(workspace.personas())
    from simulator.errors import ScenarioFileError
    from simulator.loader import load_persona

    # Personas named on the command line may be used by scenarios named with them.
    for path in files:
        if "personas" in path.parts:
            try:
                persona = load_persona(path)
                personas[persona.id] = persona
            except ScenarioFileError:
                pass  # lint_file reports it
    issues: list[Issue] = [i for path in files for i in lint_file(path, personas)]
    if args.json:
        print(json.dumps([i.as_dict() for i in issues], indent=2, ensure_ascii=False))
    else:
        for issue in issues:
            print(issue)
    errors = sum(i.severity == "error" for i in issues)
    warnings = len(issues) - errors
    print(
        f"{len(files)} file(s): {errors} error(s), {warnings} warning(s).",
        file=sys.stderr,
    )
    if not files and not args.paths:
        print(
            "You have no scenarios of your own yet; `rehearse new` makes one, "
            "--all lints the bundled ones.",
            file=sys.stderr,
        )
    return 1 if errors or (args.strict and warnings) else 0


def cmd_export_scenario(args: argparse.Namespace) -> int:
    from simulator.authoring.bundle import export_bundle
    from simulator.authoring.workspace import Workspace

    text = export_bundle(Workspace(), args.scenario)
    if args.output:
        target = Path(args.output)
        if target.exists() and not args.force:
            raise RehearseError(f"{target} exists; choose another file or add --force.")
        target.write_text(text, encoding="utf-8")
        print(f"Wrote {target}: the scenario and the personas it uses, in one file.")
    else:
        sys.stdout.write(text)
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the authoring commands to the ``rehearse`` parser."""
    from simulator.schema import CATEGORIES

    p = sub.add_parser(
        "import",
        help="import a character card (JSON/PNG), a Patient-Psi model or a scenario bundle",
        description="Reads a SillyTavern/TavernAI character card (chara_card_v2 or v3, as "
        "JSON or PNG), a Patient-Psi CBT cognitive model (JSON), a bundle made by "
        "`rehearse export-scenario`, or a scenario or persona YAML file, and saves it into "
        "your scenario folder. It says what could not be mapped. Ids already in use are "
        "refused unless you choose --rename or --overwrite.",
    )
    p.add_argument("file", metavar="FILE")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--rename", action="store_true", help="give clashing ids free ones")
    how.add_argument(
        "--overwrite",
        action="store_true",
        help="replace your own files with clashing ids (earlier versions are kept; "
        "bundled ones are never replaced)",
    )
    p.add_argument(
        "--category",
        choices=CATEGORIES,
        default="difficult-conversation",
        help="category of the scenario made for a character card",
    )
    p.add_argument(
        "--style",
        choices=["plain", "upset", "verbose", "reserved", "tangent", "pleasing"],
        help="Patient-Psi conversational style for the client's voice (default: the first "
        "listed in the model's 'type')",
    )
    p.add_argument("--dry-run", action="store_true", help="report, write nothing")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("new", help="start a new scenario (asks, or takes flags)")
    p.add_argument("--title")
    p.add_argument("--id", help="lower-case id (default: from the title)")
    p.add_argument("--category", choices=CATEGORIES)
    p.add_argument("--persona", help="an existing persona id, or a new character's name")
    p.add_argument("--user-role", help="who the user is in the scene")
    p.add_argument("--setting", help="where and when the scene takes place")
    p.add_argument("--opening-line", help="the character's first line")
    p.add_argument("--goal", help="what the user practises")
    p.add_argument("--success", help="what success looks like")
    p.add_argument("--no-input", action="store_true", help="ask nothing; TODO lines for the rest")
    p.set_defaults(func=cmd_new)

    p = sub.add_parser(
        "lint",
        help="warnings a clinician would want: unmet goals, unreachable reveals and endings...",
        description="Validates, then warns about: goals without a success criterion, "
        "conditions that can never hold (or hold from the start), end conditions that "
        "cannot be reached, personas without a want or fear, and TODO lines left.",
    )
    p.add_argument("paths", nargs="*", help="files or folders (default: your own scenarios)")
    p.add_argument("--all", action="store_true", help="the bundled scenarios as well")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser(
        "export-scenario",
        help="write a scenario and the personas it uses as one YAML file",
    )
    p.add_argument("scenario", metavar="SCENARIO_ID")
    p.add_argument("--output", "-o", help="file to write (default: standard output)")
    p.add_argument("--force", action="store_true", help="replace an existing output file")
    p.set_defaults(func=cmd_export_scenario)
