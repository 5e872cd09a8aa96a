// Triage (acknowledge, assign, note, false positive, reopen) is shared by the whole team: it
// lives on the worker (/api/triage, /api/triage/stream), not in this browser. This is each
// alert card's part of it and the states the worker sent.
import { el } from "../dom.js";
import { num, obj, shortTime, str } from "../format.js";

const ACTION_BUTTONS = [
  ["ack", "acknowledge", "Acknowledge"],
  ["assign", "assign", "Assign…"],
  ["note", "note", "Note…"],
  ["fp", "false_positive", "False positive"],
  ["reopen", "reopen", "Reopen"],
];

const states = new Map(); // alert id -> its shared triage state (from the worker)
let me = { user: null, can_write: false }; // who this page acts as (/api/whoami)
const stateListeners = [];
const userListeners = [];

// fn(alert id) after the worker changed an alert's state.
export function onStateChange(fn) { stateListeners.push(fn); }
// fn() after the page learnt who it acts as: every card's buttons change.
export function onUserChange(fn) { userListeners.push(fn); }

export function stateOf(id) { return states.get(id); }

export function isClosed(id) {
  const s = states.get(id);
  return !!s && (!!s.acknowledged || !!s.false_positive);
}

function who(mark) {
  const m = obj(mark);
  return "by " + str(m.by) + (m.at ? " · " + shortTime(m.at) : "");
}

// The card's triage part: what was done (who, when), the notes, the buttons and a small form
// for an assignee's name or a note's text.
export function triageBlock(li) {
  const box = el("div", "triage");
  const state = el("p", "triage-state");
  const notes = el("ol", "notes");
  const actions = el("div", "actions");
  for (const [cls, action, label] of ACTION_BUTTONS) {
    const b = el("button", "act " + cls, label);
    b.type = "button";
    b.dataset.action = action;
    b.addEventListener("click", () => {
      if (action === "assign" || action === "note") openForm(li, action);
      else send(li, { action });
    });
    actions.append(b);
  }
  const form = el("form", "triage-form");
  form.hidden = true;
  const input = el("textarea", "triage-input");
  input.rows = 2;
  const save = el("button", "save", "Save");
  save.type = "submit";
  const cancel = el("button", "cancel", "Cancel");
  cancel.type = "button";
  cancel.addEventListener("click", () => { form.hidden = true; });
  form.append(input, save, cancel);
  form.addEventListener("submit", e => {
    e.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    const body = form.dataset.action === "assign"
      ? { action: "assign", assignee: value } : { action: "note", text: value };
    send(li, body).then(ok => { if (ok) { input.value = ""; form.hidden = true; } });
  });
  input.addEventListener("keydown", e => {
    if (e.key === "Enter" && !e.shiftKey && form.dataset.action === "assign") {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  box.append(state, notes, actions, form, el("p", "triage-error"));
  return box;
}

function openForm(li, action) {
  const form = li.querySelector("form.triage-form");
  const input = form.querySelector(".triage-input");
  form.dataset.action = action;
  input.maxLength = action === "assign" ? 100 : 2000;
  input.placeholder = action === "assign" ? "assign to (name)" : "note (at most 2,000 characters)";
  input.rows = action === "assign" ? 1 : 3;
  form.hidden = false;
  input.focus();
}

// Words for a state: "acknowledged by alice · 2024-03-09 12:00:00 UTC", "assigned to bob", ...
export function stateLines(s) {
  if (!s) return ["open"];
  const lines = [];
  if (s.false_positive) lines.push("false positive " + who(s.false_positive));
  if (s.acknowledged) lines.push("acknowledged " + who(s.acknowledged));
  if (!s.false_positive && !s.acknowledged) lines.push("open");
  if (s.assignee) lines.push("assigned to " + str(obj(s.assignee).name) + " " + who(s.assignee));
  return lines;
}

export function showTriage(li) {
  const id = li.dataset.alertId;
  const s = states.get(id);
  const closed = isClosed(id);
  li.classList.toggle("acked", closed);
  li.classList.toggle("false-positive", !!(s && s.false_positive));
  li.classList.toggle("assigned", !!(s && s.assignee));
  const state = li.querySelector(".triage-state");
  state.replaceChildren();
  for (const line of stateLines(s)) state.append(el("span", "", line));
  const notes = li.querySelector("ol.notes");
  notes.replaceChildren();
  for (const n of (s && Array.isArray(s.notes) ? s.notes : [])) {
    const note = obj(n);
    const item = el("li", "note");
    item.append(el("span", "note-by", str(note.by) + " · " + shortTime(note.at) + ": "),
      el("span", "note-text", str(note.text)));
    notes.append(item);
  }
  const actions = li.querySelector(".actions");
  actions.hidden = !me.can_write;
  if (!me.can_write) li.querySelector("form.triage-form").hidden = true;
  const show = { ack: !closed, fp: !(s && s.false_positive), reopen: closed, assign: true, note: true };
  for (const b of actions.querySelectorAll("button.act")) {
    const cls = [...b.classList].find(c => c in show);
    b.hidden = !show[cls];
  }
}

// POST one action; the answer (and every other page, through the stream) has the new state.
function send(li, body) {
  const id = li.dataset.alertId;
  const error = li.querySelector(".triage-error");
  const buttons = li.querySelectorAll(".actions button, form.triage-form button");
  error.textContent = "";
  for (const b of buttons) b.disabled = true;
  return fetch("/api/alerts/" + encodeURIComponent(id) + "/triage", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  }).then(r => r.json().catch(() => ({})).then(reply => {
    if (!r.ok) {
      error.textContent = "not saved: " + str(obj(reply).error || r.status);
      return false;
    }
    applyState(reply);
    return true;
  })).catch(() => {
    error.textContent = "not saved: the worker cannot be reached";
    return false;
  }).finally(() => {
    for (const b of buttons) b.disabled = false;
  });
}

// A state from the worker; an older version than the one shown changes nothing.
export function applyState(s) {
  if (!s || typeof s !== "object") return;
  const id = str(s.alert_id);
  if (!id) return;
  if (s.removed) {
    states.delete(id);
  } else {
    const current = states.get(id);
    const version = num(s.version) || 0;
    if (current && (num(current.version) || 0) > version) return;
    states.set(id, s);
  }
  for (const fn of stateListeners) fn(id);
}

// Who this page acts as (an answer of /api/whoami): without a name from the team's proxy, the
// page is read-only.
export function setUser(w) {
  me = { user: obj(w).user ? str(obj(w).user) : null, can_write: obj(w).can_write === true };
  document.getElementById("readonly").hidden = me.can_write;
  document.getElementById("whoami").textContent = me.user ? "signed in as " + me.user : "";
  document.body.classList.toggle("read-only", !me.can_write);
  for (const fn of userListeners) fn();
}
