"""The triage state of every alert, as carried by the compacted `<ns>.alert-state` topic.

Each record on the topic is keyed by `alert_id` and carries the alert's *whole* triage state
after one action, because compaction keeps only the newest record per key:

    {"alert_id", "acknowledged": {"by", "at"} | null,
     "assignee": {"name", "by", "at"} | null, "false_positive": {"by", "at"} | null,
     "notes": [{"by", "at", "text"}], "actions": [{"action", "by", "at", ...}],
     "updated_at", "version": n}

Bounded: the last MAX_ACTIONS actions and MAX_NOTES notes, notes of at most MAX_TEXT
characters, names of at most MAX_NAME; and the board keeps the states of the MAX_STATES alerts
written to most recently (in topic order), forgetting the least recently written first: a
worker reading the topic from its beginning ends with the same states. A forgotten alert shows
as open on the pages, as an alert nobody acted on; its record stays on the topic.

`apply_action(state, alert_id, action, who, at)` gives the next record (version + 1);
`TriageBoard.apply(record)` takes records in topic order, so the board holds, per alert,
the last record read: replaying the topic from the beginning rebuilds it exactly.

Concurrency: last write wins, per record. Two workers that act on the same alert at the same
time both build on the state they last read and both write version n + 1; the one the
broker appends last replaces the other whole (its note or acknowledgement is gone from the
current state). The board detects this: a record whose version is not above the one it
holds, with other content, counts in `conflicts` (and `last_conflict` names the alert), so
the web layer can log it. Within one worker, writes are serialised, so this needs two workers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, NotRequired, TypedDict

from shipwatch.triage.actions import ACTIONS, MAX_NAME, MAX_TEXT, Action

MAX_ACTIONS = 50  # actions kept per alert, newest last
MAX_NOTES = 50  # notes kept per alert, newest last
MAX_ID = 300  # characters of an alert id
# Alerts whose state the board keeps: about a year of a busy team's actions, 20-40 MB at most.
MAX_STATES = 20_000


class Mark(TypedDict):
    """Who set a flag (acknowledged, false positive), and when."""

    by: str
    at: str


class Assignment(TypedDict):
    """Who the alert is assigned to, by whom, and when."""

    name: str
    by: str
    at: str


class Note(TypedDict):
    """A free-text note."""

    by: str
    at: str
    text: str


class ActionEntry(TypedDict):
    """One action in the alert's history; `assignee` for assign."""

    action: str
    by: str
    at: str
    assignee: NotRequired[str]


class TriageState(TypedDict):
    """An alert's whole triage state: the value of its record on `<ns>.alert-state`."""

    alert_id: str
    acknowledged: Mark | None
    assignee: Assignment | None
    false_positive: Mark | None
    notes: list[Note]
    actions: list[ActionEntry]
    updated_at: str
    version: int


Status = Literal["open", "acknowledged", "false_positive"]


def empty(alert_id: str) -> TriageState:
    """The state of an alert nobody has touched (version 0: no record yet)."""
    return {
        "alert_id": alert_id,
        "acknowledged": None,
        "assignee": None,
        "false_positive": None,
        "notes": [],
        "actions": [],
        "updated_at": "",
        "version": 0,
    }


def status(state: TriageState | None) -> Status:
    """Closed as a false positive, acknowledged, or open (a false positive wins)."""
    if state is None:
        return "open"
    if state["false_positive"] is not None:
        return "false_positive"
    return "acknowledged" if state["acknowledged"] is not None else "open"


def apply_action(
    state: TriageState | None, alert_id: str, action: Action, who: str, at: str
) -> TriageState:
    """The record that `who` doing `action` at `at` (ISO UTC) writes; `state` is unchanged.

    acknowledge and false_positive keep the first mark when already set (the action is still
    in the history); reopen clears both; assign replaces the assignee, unassign clears it;
    note appends. Every action is appended to `actions`, and the version goes up by one.
    """
    old = state if state is not None else empty(alert_id)
    new: TriageState = {
        **old,
        "notes": list(old["notes"]),
        "actions": list(old["actions"]),
        "updated_at": at,
        "version": old["version"] + 1,
    }
    mark: Mark = {"by": who, "at": at}
    entry: ActionEntry = {"action": action.action, "by": who, "at": at}
    if action.action == "acknowledge":
        new["acknowledged"] = old["acknowledged"] or mark
    elif action.action == "false_positive":
        new["false_positive"] = old["false_positive"] or mark
    elif action.action == "reopen":
        new["acknowledged"] = None
        new["false_positive"] = None
    elif action.action == "assign":
        assert action.assignee is not None
        new["assignee"] = {"name": action.assignee, "by": who, "at": at}
        entry["assignee"] = action.assignee
    elif action.action == "unassign":
        new["assignee"] = None
    elif action.action == "note":
        assert action.text is not None
        note: Note = {"by": who, "at": at, "text": action.text}
        new["notes"] = [*new["notes"], note][-MAX_NOTES:]
    new["actions"] = [*new["actions"], entry][-MAX_ACTIONS:]
    return new


# ---------------------------------------------------------------- reading records


def _text(value: object, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _mark(value: object) -> Mark | None:
    if not isinstance(value, Mapping):
        return None
    by, at = _text(value.get("by"), MAX_NAME), _text(value.get("at"), 40)
    return {"by": by, "at": at} if by is not None and at is not None else None


def _assignment(value: object) -> Assignment | None:
    mark = _mark(value)
    name = _text(value.get("name"), MAX_NAME) if isinstance(value, Mapping) else None
    if mark is None or name is None:
        return None
    return {"name": name, "by": mark["by"], "at": mark["at"]}


def _notes(value: object) -> list[Note]:
    notes: list[Note] = []
    for item in value if isinstance(value, list) else []:
        mark = _mark(item)
        text = _text(item.get("text"), MAX_TEXT) if isinstance(item, Mapping) else None
        if mark is not None and text is not None:
            notes.append({"by": mark["by"], "at": mark["at"], "text": text})
    return notes[-MAX_NOTES:]


def _actions(value: object) -> list[ActionEntry]:
    entries: list[ActionEntry] = []
    for item in value if isinstance(value, list) else []:
        mark = _mark(item)
        name = item.get("action") if isinstance(item, Mapping) else None
        if mark is None or name not in ACTIONS:
            continue
        entry: ActionEntry = {"action": str(name), "by": mark["by"], "at": mark["at"]}
        assignee = _text(item.get("assignee"), MAX_NAME)
        if assignee is not None:
            entry["assignee"] = assignee
        entries.append(entry)
    return entries[-MAX_ACTIONS:]


def read_record(value: Mapping[str, Any]) -> TriageState | None:
    """A record read from the topic as a state, or None when it has no usable alert id.

    Anyone with access can write to a topic: what does not fit the shape is dropped field by
    field and the bounds are enforced, so a bad record never breaks the board or the page.
    A record this module wrote comes back equal to itself.
    """
    alert_id = value.get("alert_id")
    if not isinstance(alert_id, str) or not alert_id or len(alert_id) > MAX_ID:
        return None
    version = value.get("version")
    return {
        "alert_id": alert_id,
        "acknowledged": _mark(value.get("acknowledged")),
        "assignee": _assignment(value.get("assignee")),
        "false_positive": _mark(value.get("false_positive")),
        "notes": _notes(value.get("notes")),
        "actions": _actions(value.get("actions")),
        "updated_at": _text(value.get("updated_at"), 40) or "",
        "version": version if isinstance(version, int) and not isinstance(version, bool) else 0,
    }


class TriageBoard:
    """The current triage state of the alerts with a record, from the topic in order: the
    `keep` (default MAX_STATES) written to most recently."""

    def __init__(self, keep: int | None = None) -> None:
        self.keep = keep
        self.states: dict[str, TriageState] = {}  # least recently written first
        self.conflicts = 0  # records that replaced a state without building on it
        self.last_conflict: str | None = None

    def get(self, alert_id: str) -> TriageState | None:
        """The alert's state, or None when nobody has acted on it."""
        return self.states.get(alert_id)

    def lookup(self, alert_id: str) -> dict[str, Any] | None:
        """The alert's state as a plain dict (for the vessel pages' `triage_of`), or None."""
        state = self.states.get(alert_id)
        return dict(state) if state is not None else None

    def apply(self, value: Mapping[str, Any]) -> TriageState | None:
        """Take the next record of the topic: the new state, or None when nothing changed
        (a record seen before, or one without an alert id)."""
        record = read_record(value)
        if record is None:
            return None
        current = self.states.get(record["alert_id"])
        if current == record:
            return None
        if current is not None and record["version"] <= current["version"]:
            # Built on an older state than ours: a concurrent write from elsewhere (or an old
            # record re-published). The topic's order decides: it replaces ours anyway.
            self.conflicts += 1
            self.last_conflict = record["alert_id"]
        self.put(record)
        return record

    def put(self, record: TriageState) -> None:
        """Keep an alert's state as the most recently written; past the bound, forget the
        least recently written."""
        self.states.pop(record["alert_id"], None)
        self.states[record["alert_id"]] = record
        bound = MAX_STATES if self.keep is None else self.keep
        while len(self.states) > bound:
            del self.states[next(iter(self.states))]

    def remove(self, alert_id: str) -> bool:
        """A tombstone (null value) on the topic: forget the alert's state."""
        return self.states.pop(alert_id, None) is not None

    def act(self, alert_id: str, action: Action, who: str, at: str) -> TriageState:
        """The record to write for an action on the current state (the board is unchanged
        until that record is read back from the topic)."""
        return apply_action(self.get(alert_id), alert_id, action, who, at)

    def snapshot(self) -> dict[str, TriageState]:
        """Every state by alert id."""
        return dict(self.states)

    def summary(self, alert_ids: Iterable[str]) -> dict[str, Any]:
        """Counts over some alerts: open, acknowledged, false positives, assignees, notes."""
        counts = {"open": 0, "acknowledged": 0, "false_positive": 0}
        assignees: set[str] = set()
        notes = 0
        for alert_id in alert_ids:
            state = self.states.get(alert_id)
            counts[status(state)] += 1
            if state is not None:
                notes += len(state["notes"])
                if state["assignee"] is not None:
                    assignees.add(state["assignee"]["name"])
        return {**counts, "assignees": sorted(assignees), "notes": notes}
