"""The "I need support now" panel: crisis resources, one click from anywhere in the studio.

It is plain HTML (a ``<details>`` disclosure), so it opens in the browser without a
round trip to the server: it works while a model call is running, or if the server has
gone away. The resources come from :func:`simulator.safety.crisis_resources`, the same
list the engine uses when it pauses a scene.
"""

from __future__ import annotations

import html

from simulator.safety import crisis_resources

__all__ = ["PRACTICE_NOT_THERAPY", "footnote", "support_html"]

PRACTICE_NOT_THERAPY = (
    "Rehearse is practice with a simulated character. It is not therapy, counselling or "
    "crisis support, and nobody is reading along."
)


def support_html() -> str:
    """The disclosure panel: closed it is one button; open it lists who to call."""
    rows = "".join(
        f"<li><strong>{html.escape(r['name'])}</strong> ({html.escape(r['region'])}): "
        f"{html.escape(r['contact'])}. <span class='meta'>{html.escape(r['detail'])}</span></li>"
        for r in crisis_resources()
    )
    return (
        '<details class="support" id="support">'
        "<summary>I need support now</summary>"
        '<div class="support-body">'
        "<p>If you are in distress or thinking about harming yourself, please reach a person "
        "now. You can leave this page at any time; your session is saved.</p>"
        f"<ul>{rows}</ul>"
        f"<p class='meta'>{html.escape(PRACTICE_NOT_THERAPY)}</p>"
        "</div></details>"
    )


def footnote() -> str:
    """One line under every page: what this is, and where help is."""
    where = "; ".join(f"{r['name']}: {r['contact']}" for r in crisis_resources())
    return f"{PRACTICE_NOT_THERAPY} If you are in crisis: {where}."
