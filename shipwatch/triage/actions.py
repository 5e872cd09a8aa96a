"""What an analyst may do to an alert, and checking a request to do it.

`parse_action(body)` turns the JSON body of a triage request into an `Action` or raises
`ActionError` with a message fit to show the analyst: the action names, the bounds on
notes (2,000 characters) and names (100 characters), and the keys each action takes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal, get_args

from shipwatch.triage.errors import TriageError

ActionName = Literal["acknowledge", "assign", "unassign", "note", "false_positive", "reopen"]
ACTIONS: tuple[ActionName, ...] = get_args(ActionName)
MAX_TEXT = 2000  # characters of one note
MAX_NAME = 100  # characters of a name (who acts, who is assigned)
# The keys each action takes besides `action`.
KEYS: dict[str, frozenset[str]] = {
    "acknowledge": frozenset(),
    "assign": frozenset({"assignee"}),
    "unassign": frozenset(),
    "note": frozenset({"text"}),
    "false_positive": frozenset(),
    "reopen": frozenset(),
}


class ActionError(TriageError):
    """A triage request that cannot be applied; the message says why."""


@dataclass(frozen=True, slots=True)
class Action:
    """One checked request: `assignee` only for assign, `text` only for note."""

    action: ActionName
    assignee: str | None = None
    text: str | None = None


def _controls(text: str, allowed: str = "") -> bool:
    # Cs: a lone surrogate, what a header's bytes that are no UTF-8 decode to; it cannot be
    # written out again (orjson refused it, and the request failed with a 500).
    return any(unicodedata.category(c) in ("Cc", "Cs") and c not in allowed for c in text)


def clean_name(value: object, what: str) -> str:
    """A person's name: a string of 1 to MAX_NAME characters, no control characters."""
    if not isinstance(value, str):
        raise ActionError(f"{what} must be a string")
    name = value.strip()
    if not name:
        raise ActionError(f"{what} must not be empty")
    if len(name) > MAX_NAME:
        raise ActionError(f"{what} is {len(name)} characters long; at most {MAX_NAME} are kept")
    if _controls(name):
        raise ActionError(f"{what} must not contain control characters")
    return name


def clean_text(value: object) -> str:
    """A note: a string of 1 to MAX_TEXT characters; line breaks and tabs allowed."""
    if not isinstance(value, str):
        raise ActionError("text must be a string")
    text = value.strip()
    if not text:
        raise ActionError("a note needs a non-empty text")
    if len(text) > MAX_TEXT:
        raise ActionError(f"the note is {len(text)} characters long; at most {MAX_TEXT} allowed")
    if _controls(text, "\n\t"):
        raise ActionError("text must not contain control characters other than line breaks")
    return text


def parse_action(body: object) -> Action:
    """Check a request body such as {"action": "assign", "assignee": "bob"}."""
    if not isinstance(body, dict):
        raise ActionError('the body must be a JSON object such as {"action": "acknowledge"}')
    name = body.get("action")
    if name not in ACTIONS:
        raise ActionError(f"action must be one of {', '.join(ACTIONS)}; got {name!r}"[:300])
    extra = set(body) - {"action"} - KEYS[name]
    if extra:
        allowed = ", ".join(sorted(KEYS[name])) or "nothing"
        unknown = ", ".join(sorted(map(str, extra)))[:200]
        raise ActionError(f"{name} takes {allowed} besides action; unknown: {unknown}")
    if name == "assign":
        if "assignee" not in body:
            raise ActionError("assign needs an assignee (a name)")
        return Action("assign", assignee=clean_name(body["assignee"], "assignee"))
    if name == "note":
        if "text" not in body:
            raise ActionError("note needs a text")
        return Action("note", text=clean_text(body["text"]))
    return Action(name)
