// The alert list: one card per alert, newest first by publication, and the filters (kind,
// severity, closed ones shown or not) that decide which cards show.
import { el, vesselLink } from "../dom.js";
import { evidenceText, flagText, hasMmsi, mmsiText, severityOf, shortTime, str } from "../format.js";
import { isClosed, onStateChange, onUserChange, showTriage, triageBlock } from "./triage.js";

const list = document.getElementById("alerts");
const kindSel = document.getElementById("kind");
const sevSel = document.getElementById("severity");
const showClosed = document.getElementById("show-acked");
const cards = new Map(); // alert id -> li
const kinds = new Set();
const alertListeners = [];
const filterListeners = [];

// fn(alert, first) for each alert the list takes: first is false for the retraction of one it
// already shows.
export function onAlert(fn) { alertListeners.push(fn); }
// fn() after the list decided again which cards show.
export function onRefilter(fn) { filterListeners.push(fn); }

export function cardOf(id) { return cards.get(id) || null; }
// Whether an alert's card shows: the maps show what the list shows.
export function isShown(id) {
  const li = cards.get(id);
  return !!li && !li.hidden;
}

export function sortKey(a) { return str(a.published_at) || str(a.at); }

function vesselLine(a) {
  const v = (a.vessel && typeof a.vessel === "object") ? a.vessel : {};
  const ev = (a.evidence && typeof a.evidence === "object") ? a.evidence : {};
  const line = el("div", "vessel");
  const named = str(v.name || ev.name);
  line.append(vesselLink(a.mmsi, "name",
    named || (hasMmsi(a.mmsi) ? "unnamed vessel" : "unidentified vessel")));
  const parts = ["MMSI " + mmsiText(a.mmsi)];
  if (v.imo || ev.imo) parts.push("IMO " + str(v.imo || ev.imo));
  const flag = flagText(v.flag);
  if (flag) parts.push("flag " + flag);
  if (v.callsign) parts.push("call sign " + str(v.callsign));
  line.append(document.createTextNode(" · " + parts.join(" · ")));
  return line;
}

function evidenceList(evidence) {
  const dl = el("dl", "evidence");
  if (!evidence || typeof evidence !== "object") return dl;
  for (const [key, value] of Object.entries(evidence)) {
    const pair = el("div");
    pair.append(el("dt", "", key), el("dd", "", evidenceText(value)));
    dl.append(pair);
  }
  return dl;
}

function render(a) {
  const li = el("li", "alert " + severityOf(a.severity));
  li.dataset.alertId = str(a.alert_id);
  li.dataset.kind = str(a.kind);
  li.dataset.severity = str(a.severity);
  li.dataset.sort = sortKey(a);
  const top = el("div", "top");
  top.append(el("span", "sev", str(a.severity)), el("span", "title", str(a.title) || str(a.kind)));
  li.append(top, vesselLine(a));
  const where = [];
  if (a.route) where.push("route " + str(a.route));
  if (a.port) where.push("port " + str(a.port));
  where.push(str(a.kind));
  where.push("at " + shortTime(a.at));
  if (a.published_at) where.push("published " + shortTime(a.published_at));
  li.append(el("div", "meta", where.join(" · ")), evidenceList(a.evidence), triageBlock(li));
  showTriage(li);
  return li;
}

// A retraction repeats the id: the finding was undone by late data; its card says so.
function markRetracted(card, a) {
  card.classList.add("retracted");
  card.dataset.status = "retracted";
  card.append(el("div", "retraction", "Retracted: " + str(a.title)));
}

// What makes an alert's card: a repeat of the same signature changes nothing on the page.
const signatures = new Map();
function signature(a) {
  return JSON.stringify([a.status, a.severity, a.title, a.at, a.evidence]);
}

export function addAlert(a) {
  if (!a || typeof a !== "object") return;
  const id = str(a.alert_id);
  if (!id) return;
  const sig = signature(a);
  if (cards.has(id)) {
    if (signatures.get(id) === sig) return; // a repeat: nothing new
    if (str(a.status) === "retracted") {
      markRetracted(cards.get(id), a);
    } else {
      // A correction (the same id with other evidence, as the cap stage re-issues after late
      // data): the card shows what is true now, where the old one was.
      const fresh = render(a);
      cards.get(id).replaceWith(fresh);
      cards.set(id, fresh);
    }
    signatures.set(id, sig);
    for (const fn of alertListeners) fn(a, false);
    refilter();
    return;
  }
  signatures.set(id, sig);
  const li = render(a);
  if (str(a.status) === "retracted") li.classList.add("retracted");
  cards.set(id, li);
  const kind = str(a.kind);
  if (kind && !kinds.has(kind)) {
    kinds.add(kind);
    kindSel.append(new Option(kind, kind));
  }
  // Newest first by publication time; a late catch-up goes in at its place.
  let before = null;
  for (const other of list.children) {
    if (other.dataset.sort < li.dataset.sort) { before = other; break; }
  }
  list.insertBefore(li, before);
  for (const fn of alertListeners) fn(a, true);
  refilter();
}

export function refilter() {
  let shown = 0;
  let closedCount = 0;
  for (const li of cards.values()) {
    const closed = isClosed(li.dataset.alertId);
    if (closed) closedCount += 1;
    li.classList.toggle("acked", closed);
    li.hidden = (kindSel.value !== "" && li.dataset.kind !== kindSel.value)
      || (sevSel.value !== "" && li.dataset.severity !== sevSel.value)
      || (closed && !showClosed.checked);
    if (!li.hidden) shown += 1;
  }
  document.getElementById("acked-count").textContent = String(closedCount);
  document.getElementById("empty").hidden = shown > 0;
  const open = cards.size - closedCount;
  document.title = (open > 0 ? "(" + open + ") " : "") + "shipwatch — live alerts";
  for (const fn of filterListeners) fn();
}

// Many states arrive at once on a catch-up: filter once after them, not once per state.
let refilterPending = false;
function scheduleRefilter() {
  if (refilterPending) return;
  refilterPending = true;
  setTimeout(() => { refilterPending = false; refilter(); }, 0);
}

onStateChange(id => {
  const li = cards.get(id);
  if (li) showTriage(li);
  scheduleRefilter();
});
onUserChange(() => { for (const li of cards.values()) showTriage(li); });
kindSel.addEventListener("change", refilter);
sevSel.addEventListener("change", refilter);
showClosed.addEventListener("change", refilter);
