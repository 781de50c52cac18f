"""YAML text that people can read and edit: block scalars, keys in the order written.

Imports and renames produce new files; they should look like the bundled ones, with
long texts as ``>-`` / ``|`` blocks rather than quoted one-liners, and a comment on top
saying where they came from.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["dump"]


class _Dumper(yaml.SafeDumper):
    """Safe dumping, with sequences indented under their key like the bundled files."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        # Literal blocks keep line breaks exactly; trailing spaces on a line would make
        # PyYAML fall back to quotes, so they go (they mean nothing in prose).
        value = "\n".join(line.rstrip() for line in value.split("\n"))
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if len(value) > 80:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=">")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _string)


def dump(data: Any, comment: str | None = None) -> str:
    """``data`` as YAML text, with ``comment`` (one or more lines) as a header."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=96, indent=2)
    if comment:
        header = "".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines())
        text = header + text
    return text
