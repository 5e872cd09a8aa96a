"""The triage board: actions, the records they write, and replaying the topic."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shipwatch.pipeline.schemas import validator
from shipwatch.triage.actions import MAX_NAME, MAX_TEXT, Action, ActionError, parse_action
from shipwatch.triage.board import (
    MAX_ACTIONS,
    MAX_NOTES,
    TriageBoard,
    TriageState,
    apply_action,
    read_record,
    status,
)

ALERT = "sanctioned_voyage-445123456-b91a90c3eae54e9a"


def at(minute: int) -> str:
    return f"2024-03-09T12:{minute:02d}:00.000Z"


def test_an_acknowledgement_says_who_and_when_and_starts_the_history() -> None:
    record = apply_action(None, ALERT, Action("acknowledge"), "alice", at(1))
    assert record["acknowledged"] == {"by": "alice", "at": at(1)}
    assert record["actions"] == [{"action": "acknowledge", "by": "alice", "at": at(1)}]
    assert record["version"] == 1 and record["updated_at"] == at(1)
    assert status(record) == "acknowledged"


def test_a_note_from_the_second_analyst_keeps_the_first_ones_acknowledgement() -> None:
    board = TriageBoard()
    board.apply(board.act(ALERT, Action("acknowledge"), "alice", at(1)))
    board.apply(board.act(ALERT, Action("note", text="AIS off 20 h, see SAR"), "bob", at(2)))
    state = board.get(ALERT)
    assert state is not None
    assert state["acknowledged"] == {"by": "alice", "at": at(1)}
    assert state["notes"] == [{"by": "bob", "at": at(2), "text": "AIS off 20 h, see SAR"}]
    assert [a["by"] for a in state["actions"]] == ["alice", "bob"]
    assert state["version"] == 2


def test_a_second_acknowledgement_keeps_the_first_but_is_in_the_history() -> None:
    first = apply_action(None, ALERT, Action("acknowledge"), "alice", at(1))
    second = apply_action(first, ALERT, Action("acknowledge"), "bob", at(2))
    assert second["acknowledged"] == {"by": "alice", "at": at(1)}
    assert [a["by"] for a in second["actions"]] == ["alice", "bob"]


def test_reopening_undoes_acknowledgement_and_false_positive_but_keeps_the_assignee() -> None:
    state = apply_action(None, ALERT, Action("assign", assignee="carol"), "alice", at(1))
    state = apply_action(state, ALERT, Action("acknowledge"), "alice", at(2))
    state = apply_action(state, ALERT, Action("false_positive"), "bob", at(3))
    assert status(state) == "false_positive"
    reopened = apply_action(state, ALERT, Action("reopen"), "carol", at(4))
    assert reopened["acknowledged"] is None and reopened["false_positive"] is None
    assert status(reopened) == "open"
    assert reopened["assignee"] == {"name": "carol", "by": "alice", "at": at(1)}
    assert [a["action"] for a in reopened["actions"]] == [
        "assign",
        "acknowledge",
        "false_positive",
        "reopen",
    ]
    assert state["false_positive"] is not None  # the old state is left alone


def test_assigning_again_replaces_the_assignee_and_unassigning_clears_it() -> None:
    state = apply_action(None, ALERT, Action("assign", assignee="carol"), "alice", at(1))
    state = apply_action(state, ALERT, Action("assign", assignee="dave"), "bob", at(2))
    assert state["assignee"] == {"name": "dave", "by": "bob", "at": at(2)}
    assert state["actions"][-1] == {
        "action": "assign",
        "by": "bob",
        "at": at(2),
        "assignee": "dave",
    }
    state = apply_action(state, ALERT, Action("unassign"), "dave", at(3))
    assert state["assignee"] is None


def test_the_history_keeps_the_last_fifty_actions_and_notes() -> None:
    state: TriageState | None = None
    for i in range(MAX_ACTIONS + 20):
        state = apply_action(state, ALERT, Action("note", text=f"note {i}"), "alice", at(i % 60))
    assert state is not None
    assert len(state["actions"]) == MAX_ACTIONS and len(state["notes"]) == MAX_NOTES
    assert state["notes"][-1]["text"] == f"note {MAX_ACTIONS + 19}"
    assert state["notes"][0]["text"] == f"note {20 + MAX_ACTIONS - MAX_NOTES}"
    assert state["version"] == MAX_ACTIONS + 20


def test_a_record_from_another_workers_concurrent_write_wins_and_is_counted() -> None:
    board = TriageBoard()
    base = board.act(ALERT, Action("acknowledge"), "alice", at(1))
    board.apply(base)
    # Two workers build on version 1 at the same time; the broker appends bob's last.
    from_alice = apply_action(base, ALERT, Action("note", text="alice's note"), "alice", at(2))
    from_bob = apply_action(base, ALERT, Action("note", text="bob's note"), "bob", at(2))
    assert board.apply(from_alice) == from_alice
    assert board.conflicts == 0
    assert board.apply(from_bob) == from_bob  # last write wins, whole
    assert board.conflicts == 1 and board.last_conflict == ALERT
    state = board.get(ALERT)
    assert state is not None and [n["text"] for n in state["notes"]] == ["bob's note"]


def test_a_record_read_twice_changes_nothing_the_second_time() -> None:
    board = TriageBoard()
    record = board.act(ALERT, Action("false_positive"), "alice", at(1))
    assert board.apply(record) == record
    assert board.apply(dict(record)) is None
    assert board.conflicts == 0


def test_a_tombstone_forgets_the_alert() -> None:
    board = TriageBoard()
    board.apply(board.act(ALERT, Action("acknowledge"), "alice", at(1)))
    assert board.remove(ALERT) and board.get(ALERT) is None and not board.remove(ALERT)


def test_a_malformed_record_on_the_topic_is_trimmed_never_trusted() -> None:
    board = TriageBoard()
    assert board.apply({"acknowledged": {"by": "x", "at": at(1)}}) is None  # no alert id
    assert board.apply({"alert_id": ""}) is None
    state = board.apply(
        {
            "alert_id": ALERT,
            "acknowledged": "yes",
            "assignee": {"name": "n" * 500, "by": "eve", "at": at(1)},
            "false_positive": {"by": 3},
            "notes": [{"by": "eve", "at": at(1), "text": "t" * 10_000}, "junk", None],
            "actions": [{"action": "rm -rf", "by": "eve", "at": at(1)}] * 3
            + [{"action": "note", "by": "eve", "at": at(1)}] * 80,
            "version": True,
            "extra": "ignored",
        }
    )
    assert state is not None
    assert state["acknowledged"] is None and state["false_positive"] is None
    assert state["assignee"] is not None and len(state["assignee"]["name"]) == MAX_NAME
    assert len(state["notes"]) == 1 and len(state["notes"][0]["text"]) == MAX_TEXT
    assert len(state["actions"]) == MAX_ACTIONS
    assert state["version"] == 0 and "extra" not in state


def test_summary_counts_open_closed_assignees_and_notes() -> None:
    board = TriageBoard()
    board.apply(board.act("a", Action("acknowledge"), "alice", at(1)))
    board.apply(board.act("b", Action("false_positive"), "bob", at(1)))
    board.apply(board.act("c", Action("assign", assignee="carol"), "bob", at(1)))
    board.apply(board.act("c", Action("note", text="look"), "bob", at(2)))
    assert board.summary(["a", "b", "c", "d"]) == {
        "open": 2,
        "acknowledged": 1,
        "false_positive": 1,
        "assignees": ["carol"],
        "notes": 1,
    }


def test_every_record_fits_the_published_schema() -> None:
    check = validator("alert-state")
    state = apply_action(None, ALERT, Action("assign", assignee="carol"), "alice", at(1))
    state = apply_action(state, ALERT, Action("note", text="line 1\nline 2"), "bob", at(2))
    state = apply_action(state, ALERT, Action("acknowledge"), "bob", at(3))
    check(state)
    with pytest.raises(ValueError):
        check({**state, "version": -1})


# ---------------------------------------------------------------- checking requests


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"action": "acknowledge"}, Action("acknowledge")),
        ({"action": "reopen"}, Action("reopen")),
        ({"action": "assign", "assignee": "  bob "}, Action("assign", assignee="bob")),
        ({"action": "note", "text": "two\nlines"}, Action("note", text="two\nlines")),
    ],
)
def test_a_good_request_becomes_an_action(body: dict[str, Any], expected: Action) -> None:
    assert parse_action(body) == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "JSON object"),
        ({}, "action must be one of acknowledge, assign"),
        ({"action": "delete"}, "'delete'"),
        ({"action": "assign"}, "assign needs an assignee"),
        ({"action": "assign", "assignee": ""}, "assignee must not be empty"),
        ({"action": "assign", "assignee": "x" * 101}, "at most 100"),
        ({"action": "assign", "assignee": 7}, "assignee must be a string"),
        ({"action": "note", "text": "   "}, "non-empty text"),
        ({"action": "note", "text": "x" * 2001}, "2001 characters long; at most 2000"),
        ({"action": "note", "text": "bell\x07"}, "control characters"),
        ({"action": "acknowledge", "text": "why"}, "unknown: text"),
    ],
)
def test_a_bad_request_is_refused_with_a_clear_message(body: Any, message: str) -> None:
    with pytest.raises(ActionError) as caught:
        parse_action(body)
    assert message in str(caught.value)


# ---------------------------------------------------------------- replaying the topic

names = st.sampled_from(["alice", "bob", "carol", "d" * MAX_NAME])
requests = st.one_of(
    st.sampled_from(
        [
            Action("acknowledge"),
            Action("false_positive"),
            Action("reopen"),
            Action("unassign"),
        ]
    ),
    st.builds(lambda n: Action("assign", assignee=n), names),
    st.builds(
        lambda t: Action("note", text=t),
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=MAX_TEXT),
    ),
)
steps = st.lists(
    st.tuples(st.sampled_from(["a1", "a2", "a3"]), requests, names), min_size=1, max_size=120
)


@settings(max_examples=60, deadline=None)
@given(steps)
def test_replaying_the_records_in_order_gives_each_alerts_last_record(
    script: list[tuple[str, Action, str]],
) -> None:
    writer = TriageBoard()
    written: list[TriageState] = []
    for i, (alert_id, action, who) in enumerate(script):
        record = writer.act(alert_id, action, who, f"2024-03-09T12:00:{i % 60:02d}.000Z")
        writer.apply(record)
        written.append(record)
    replayed = TriageBoard()
    for record in written:
        replayed.apply(record)
    last = {r["alert_id"]: r for r in written}
    assert replayed.snapshot() == last == writer.snapshot()
    assert replayed.conflicts == 0
    for state in last.values():
        assert read_record(state) == state  # what we write reads back as itself
        assert len(state["actions"]) <= MAX_ACTIONS and len(state["notes"]) <= MAX_NOTES
        assert all(len(n["text"]) <= MAX_TEXT for n in state["notes"])
        assert state["assignee"] is None or len(state["assignee"]["name"]) <= MAX_NAME
        assert state["version"] == sum(1 for a, _, _ in script if a == state["alert_id"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["alert_id", "notes", "actions", "version", "assignee"]),
            st.one_of(
                st.none(),
                st.integers(),
                st.text(max_size=5),
                st.lists(st.dictionaries(st.text(max_size=6), st.text(max_size=6)), max_size=3),
            ),
        ),
        max_size=20,
    )
)
def test_any_value_on_the_topic_leaves_a_bounded_board(values: list[dict[str, Any]]) -> None:
    board = TriageBoard()
    for value in values:
        board.apply(value)
    for alert_id, state in board.snapshot().items():
        assert alert_id == state["alert_id"] and isinstance(alert_id, str)
        assert read_record(state) == state


def test_the_board_keeps_the_alerts_written_to_most_recently() -> None:
    board = TriageBoard(keep=3)
    for n in range(5):
        board.apply(apply_action(None, f"alert-{n}", Action("acknowledge"), "alice", at(n)))
    assert list(board.states) == ["alert-2", "alert-3", "alert-4"]
    # A new record for a kept alert makes it the most recent: the oldest other one goes.
    board.apply(board.act("alert-2", Action("note", text="seen"), "bob", at(6)))
    board.apply(apply_action(None, "alert-5", Action("acknowledge"), "alice", at(7)))
    assert list(board.states) == ["alert-4", "alert-2", "alert-5"]
    assert status(board.get("alert-0")) == "open"  # forgotten: as if nobody had acted


def test_the_default_bound_is_read_when_the_board_fills(monkeypatch: pytest.MonkeyPatch) -> None:
    from shipwatch.triage import board as module

    monkeypatch.setattr(module, "MAX_STATES", 2)
    board = TriageBoard()
    for n in range(4):
        board.apply(apply_action(None, f"alert-{n}", Action("acknowledge"), "alice", at(n)))
    assert list(board.states) == ["alert-2", "alert-3"]


def test_lookup_gives_a_plain_copy_for_the_vessel_pages() -> None:
    board = TriageBoard()
    assert board.lookup(ALERT) is None
    board.apply(board.act(ALERT, Action("acknowledge"), "alice", at(1)))
    found = board.lookup(ALERT)
    assert found == board.get(ALERT) and found is not board.get(ALERT)
