"use strict";
// The live alerts page. Every value comes from a feed anyone could write to: it is set with
// textContent, setAttribute or new Option only, never parsed as HTML.
// Triage (acknowledge, assign, note, false positive, reopen) is shared by the whole team: it
// lives on the worker (api/triage, api/triage/stream), not in this browser.

const SVG = "http://www.w3.org/2000/svg";
const MAP_REFRESH_MS = 5000;

const list = document.getElementById("alerts");
const kindSel = document.getElementById("kind");
const sevSel = document.getElementById("severity");
const showAcked = document.getElementById("show-acked");
const statusEl = document.getElementById("status");
const cards = new Map(); // alert id -> li
const kinds = new Set();
const alertedMmsi = new Set();
const SEA_KINDS = ["sts_encounter", "loitering", "dark_vessel"];
const seaAlerts = new Map(); // alert id -> at-sea alert with a position (drawn on the sea map)
const triage = new Map(); // alert id -> its shared triage state (from the worker)
let me = { user: null, can_write: false }; // who this page acts as (api/whoami)
let fences = [];
let lastVessels = [];

// el, str, obj and arr come from dom.js.
// A dark vessel's alert has no MMSI (null): never show "MMSI " followed by nothing.
function hasMmsi(v) { return str(v) !== ""; }
function mmsiText(v) { return hasMmsi(v) ? str(v) : "—"; }
function num(v) {
  const n = typeof v === "number" ? v : (typeof v === "string" && v.trim() !== "" ? Number(v) : NaN);
  return Number.isFinite(n) ? n : null;
}
function shortTime(iso) {
  const s = str(iso);
  return s ? s.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC") : "";
}

// The vessel page's address, or null for anything that is not an MMSI.
function vesselHref(mmsi) {
  const m = str(mmsi);
  return /^[0-9]{1,9}$/.test(m) ? "/vessels/" + m : null;
}
// A link to the vessel's page (a plain span when there is no MMSI).
function vesselLink(mmsi, cls, text) {
  const href = vesselHref(mmsi);
  const e = el(href ? "a" : "span", cls, text);
  if (href) e.setAttribute("href", href);
  return e;
}

function vesselLine(a) {
  const v = (a.vessel && typeof a.vessel === "object") ? a.vessel : {};
  const ev = (a.evidence && typeof a.evidence === "object") ? a.evidence : {};
  const line = el("div", "vessel");
  const named = str(v.name || ev.name);
  line.append(vesselLink(a.mmsi, "name",
    named || (hasMmsi(a.mmsi) ? "unnamed vessel" : "unidentified vessel")));
  const parts = ["MMSI " + mmsiText(a.mmsi)];
  if (v.imo || ev.imo) parts.push("IMO " + str(v.imo || ev.imo));
  const flag = (v.flag && typeof v.flag === "object") ? v.flag : null;
  if (flag) {
    parts.push("flag " + (flag.country ? str(flag.code) + " " + str(flag.country)
      : "MID " + str(flag.mid)));
  }
  if (v.callsign) parts.push("call sign " + str(v.callsign));
  line.append(document.createTextNode(" · " + parts.join(" · ")));
  return line;
}

function evidenceList(evidence) {
  const dl = el("dl", "evidence");
  if (!evidence || typeof evidence !== "object") return dl;
  for (const [key, value] of Object.entries(evidence)) {
    const pair = el("div");
    pair.append(el("dt", "", key),
      el("dd", "", value === null || value === "" ? "—"
        : typeof value === "object" ? JSON.stringify(value) : str(value)));
    dl.append(pair);
  }
  return dl;
}

function sortKey(a) { return str(a.published_at) || str(a.at); }

function render(a) {
  const sev = ["critical", "warning", "info"].includes(a.severity) ? a.severity : "unknown";
  const li = el("li", "alert " + sev);
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

// ---------------------------------------------------------------- triage (shared by the team)

const ACTION_BUTTONS = [
  ["ack", "acknowledge", "Acknowledge"],
  ["assign", "assign", "Assign…"],
  ["note", "note", "Note…"],
  ["fp", "false_positive", "False positive"],
  ["reopen", "reopen", "Reopen"],
];

function isClosed(id) {
  const s = triage.get(id);
  return !!s && (!!s.acknowledged || !!s.false_positive);
}

function who(mark) {
  const m = obj(mark);
  return "by " + str(m.by) + (m.at ? " · " + shortTime(m.at) : "");
}

// The card's triage part: what was done (who, when), the notes, the buttons and a small form
// for an assignee's name or a note's text.
function triageBlock(li) {
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
function stateLines(s) {
  if (!s) return ["open"];
  const lines = [];
  if (s.false_positive) lines.push("false positive " + who(s.false_positive));
  if (s.acknowledged) lines.push("acknowledged " + who(s.acknowledged));
  if (!s.false_positive && !s.acknowledged) lines.push("open");
  if (s.assignee) lines.push("assigned to " + str(obj(s.assignee).name) + " " + who(s.assignee));
  return lines;
}

function showTriage(li) {
  const id = li.dataset.alertId;
  const s = triage.get(id);
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
  error.textContent = "";
  for (const b of li.querySelectorAll(".actions button, form.triage-form button")) b.disabled = true;
  return fetch("api/alerts/" + encodeURIComponent(id) + "/triage", {
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
    for (const b of li.querySelectorAll(".actions button, form.triage-form button")) b.disabled = false;
  });
}

// A state from the worker; an older version than the one shown changes nothing.
function applyState(s) {
  if (!s || typeof s !== "object") return;
  const id = str(s.alert_id);
  if (!id) return;
  if (s.removed) {
    triage.delete(id);
  } else {
    const current = triage.get(id);
    const version = num(s.version) || 0;
    if (current && (num(current.version) || 0) > version) return;
    triage.set(id, s);
  }
  const li = cards.get(id);
  if (li) showTriage(li);
  scheduleRefilter();
}

let refilterPending = false;
function scheduleRefilter() {
  if (refilterPending) return;
  refilterPending = true;
  setTimeout(() => { refilterPending = false; refilter(); scheduleCases(); }, 0);
}

function refilter() {
  let shown = 0;
  let ackedCount = 0;
  for (const li of cards.values()) {
    const isAcked = isClosed(li.dataset.alertId);
    if (isAcked) ackedCount += 1;
    li.classList.toggle("acked", isAcked);
    li.hidden = (kindSel.value !== "" && li.dataset.kind !== kindSel.value)
      || (sevSel.value !== "" && li.dataset.severity !== sevSel.value)
      || (isAcked && !showAcked.checked);
    if (!li.hidden) shown += 1;
  }
  document.getElementById("acked-count").textContent = String(ackedCount);
  document.getElementById("empty").hidden = shown > 0;
  const open = cards.size - ackedCount;
  document.title = (open > 0 ? "(" + open + ") " : "") + "shipwatch — live alerts";
  // The at-sea map (and the dark vessels on the fence maps) show the findings the list shows.
  if ([...seaAlerts.values()].some(a => str(a.kind) === "dark_vessel")) scheduleFenceRedraw();
  else scheduleSea();
}

function add(a) {
  if (!a || typeof a !== "object") return;
  const id = str(a.alert_id);
  if (!id) return;
  if (cards.has(id)) {
    // A retraction repeats the id: the finding was undone by late data; mark its card.
    if (str(a.status) === "retracted") {
      const card = cards.get(id);
      card.classList.add("retracted");
      card.dataset.status = "retracted";
      const note = document.createElement("div");
      note.className = "retraction";
      note.textContent = "Retracted: " + str(a.title);
      card.append(note);
      if (seaAlerts.has(id)) seaAlerts.set(id, { ...seaAlerts.get(id), status: "retracted" });
      scheduleSea();
    }
    return;
  }
  const li = render(a);
  if (str(a.status) === "retracted") li.classList.add("retracted");
  cards.set(id, li);
  scheduleCases();
  if (hasMmsi(a.mmsi)) alertedMmsi.add(str(a.mmsi));
  if (seaPosition(a)) {
    seaAlerts.set(id, a);
    if (str(a.kind) === "dark_vessel") scheduleFenceRedraw();
  }
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
  refilter();
}

kindSel.addEventListener("change", refilter);
sevSel.addEventListener("change", refilter);
showAcked.addEventListener("change", refilter);

// ---------------------------------------------------------------- cases (a second view)

const SEV_ORDER = ["critical", "warning", "info"];
const alertsView = document.getElementById("alerts-view");
const casesView = document.getElementById("cases-view");
const viewAlerts = document.getElementById("view-alerts");
const viewCases = document.getElementById("view-cases");

function showView(cases) {
  alertsView.hidden = cases;
  casesView.hidden = !cases;
  viewAlerts.setAttribute("aria-pressed", String(!cases));
  viewCases.setAttribute("aria-pressed", String(cases));
  if (cases) refreshCases();
}
viewAlerts.addEventListener("click", () => showView(false));
viewCases.addEventListener("click", () => showView(true));

function caseSummary(t) {
  const x = obj(t);
  const parts = [`${num(x.open) || 0} open`, `${num(x.acknowledged) || 0} acknowledged`];
  if (num(x.false_positive)) parts.push(`${num(x.false_positive)} false positive`);
  const names = Array.isArray(x.assignees) ? x.assignees.map(str) : [];
  if (names.length) parts.push("assigned to " + names.join(", "));
  if (num(x.notes)) parts.push(`${num(x.notes)} note${num(x.notes) === 1 ? "" : "s"}`);
  return parts.join(" · ");
}

function renderCase(c) {
  const sev = SEV_ORDER.includes(c.severity) ? c.severity : "unknown";
  const li = el("li", "case " + sev);
  li.dataset.caseId = str(c.case_id);
  const top = el("div", "top");
  const v = obj(c.vessel);
  const name = str(v.name) || (hasMmsi(c.mmsi) ? "unnamed vessel" : "unidentified vessels");
  top.append(el("span", "sev", str(c.severity)), vesselLink(c.mmsi, "name", name));
  li.append(top);
  const what = [];
  if (hasMmsi(c.mmsi)) what.push("MMSI " + str(c.mmsi));
  what.push(str(c.kind) === "voyage" ? "voyage from " + str(c.port) : str(c.kind) === "dark"
    ? "dark vessels" + (c.port ? " at " + str(c.port) : "") : "day");
  if (c.started_at) what.push(shortTime(c.started_at) + (c.ended_at && c.ended_at !== c.started_at
    ? " – " + shortTime(c.ended_at) : ""));
  li.append(el("div", "meta", what.join(" · ")), el("div", "case-triage", caseSummary(c.triage)));
  const ol = el("ol", "case-alerts");
  for (const a of Array.isArray(c.alerts) ? c.alerts.map(obj) : []) {
    const id = str(a.alert_id);
    const item = el("li", "case-alert" + (str(a.status) === "retracted" ? " retracted" : ""));
    item.dataset.alertId = id;
    const go = el("button", "goto", str(a.title) || str(a.kind));
    go.type = "button";
    go.addEventListener("click", () => {
      showView(false);
      const card = cards.get(id);
      if (card) { card.hidden = false; card.scrollIntoView({ block: "center" }); }
    });
    item.append(el("span", "sev-mini " + str(a.severity), str(a.severity)), go,
      el("span", "case-alert-state", " · " + stateLines(triage.get(id)).join(" · ")));
    ol.append(item);
  }
  li.append(ol);
  return li;
}

function refreshCases() {
  if (casesView.hidden) return Promise.resolve();
  return fetch("api/cases").then(r => (r.ok ? r.json() : [])).then(all => {
    const list = Array.isArray(all) ? all : [];
    const host = document.getElementById("cases");
    host.replaceChildren(...list.map(c => renderCase(obj(c))));
    document.getElementById("cases-empty").hidden = list.length > 0;
  }).catch(() => { /* the next change tries again */ });
}

let casesPending = false;
function scheduleCases() {
  if (casesPending || casesView.hidden) return;
  casesPending = true;
  setTimeout(() => { casesPending = false; refreshCases(); }, 300);
}

// ---------------------------------------------------------------- map (inline SVG, no tiles)

function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

function projector(view) {
  const [minx, miny, maxx, maxy] = view;
  const inView = box => !(box[2] < minx || box[0] > maxx || box[3] < miny || box[1] > maxy);
  const k = Math.cos(((miny + maxy) / 2) * Math.PI / 180);
  const scale = 1000;
  return {
    width: (maxx - minx) * k * scale,
    height: (maxy - miny) * scale,
    xy: (lon, lat) => [((lon - minx) * k * scale).toFixed(1), ((maxy - lat) * scale).toFixed(1)],
    contains: (lon, lat) => lon >= minx && lon <= maxx && lat >= miny && lat <= maxy,
    inView,
  };
}

// Land from the bundled coastline (/static/coast.geojson, GSHHG): each polygon with its box, so
// that a map draws only what its view shows; the svg element clips the rest.
let land = [];

function landOf(collection) {
  const out = [];
  for (const f of (collection && Array.isArray(collection.features)) ? collection.features : []) {
    const g = f && f.geometry;
    const polygons = !g ? [] : g.type === "Polygon" ? [g.coordinates]
      : g.type === "MultiPolygon" ? g.coordinates : [];
    for (const polygon of polygons) {
      const box = [Infinity, Infinity, -Infinity, -Infinity];
      for (const [lon, lat] of polygon[0] || []) {
        box[0] = Math.min(box[0], lon); box[1] = Math.min(box[1], lat);
        box[2] = Math.max(box[2], lon); box[3] = Math.max(box[3], lat);
      }
      out.push({ box, polygon });
    }
  }
  return out;
}

function drawLand(map, p) {
  for (const { box, polygon } of land) {
    if (!p.inView(box)) continue;
    const d = polygon.map(ring =>
      ring.map(([lon, lat], i) => (i ? "L" : "M") + p.xy(lon, lat).join(" ")).join("") + "Z").join("");
    map.append(svg("path", { d, class: "land" }));
  }
}

function rings(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return geometry.coordinates;
  if (geometry.type === "MultiPolygon") return geometry.coordinates.flat();
  return [];
}

function drawMaps(vessels) {
  const host = document.getElementById("maps");
  host.replaceChildren();
  for (const f of fences) {
    const props = f.properties || {};
    const p = projector(props.view);
    const box = el("figure", "fence");
    box.dataset.fence = str(props.id);
    const map = svg("svg", { viewBox: `0 0 ${p.width.toFixed(1)} ${p.height.toFixed(1)}`,
      role: "img" });
    const label = svg("title");
    label.textContent = str(props.name);
    map.append(label);
    drawLand(map, p);
    for (const ring of rings(f.geometry)) {
      const d = ring.map(([lon, lat], i) => (i ? "L" : "M") + p.xy(lon, lat).join(" ")).join("") + "Z";
      map.append(svg("path", { d, class: "area " + str(props.role), "data-fence": str(props.id) }));
    }
    const r = Math.max(p.width, p.height) * 0.014;
    const here = vessels.filter(v => v.area === props.id && p.contains(v.lon, v.lat));
    const inside = [];
    for (const v of here) {
      const state = v.inside.length ? "inside" : (v.near.length ? "near" : "around");
      if (state === "inside") inside.push(v);
      const [x, y] = p.xy(v.lon, v.lat);
      const g = svg("g", { "data-mmsi": str(v.mmsi), class: "vessel-mark" });
      const link = vesselHref(v.mmsi) ? svg("a", { href: vesselHref(v.mmsi), class: "vessel-link" }) : null;
      if (alertedMmsi.has(str(v.mmsi))) g.append(svg("circle", { cx: x, cy: y, r: r * 1.9, class: "ring" }));
      const dot = svg("circle", { cx: x, cy: y, r, class: "vessel-dot " + state });
      const tip = svg("title");
      const name = v.vessel && v.vessel.name ? str(v.vessel.name) + " · " : "";
      tip.textContent = `${name}MMSI ${mmsiText(v.mmsi)} · ${state} · ${str(v.sog)} kn · ${shortTime(v.ts)}`;
      dot.append(tip);
      g.append(dot);
      if (link) link.append(g);
      map.append(link || g);
    }
    for (const a of seaAlerts.values()) {
      if (str(a.kind) !== "dark_vessel" || str(a.port) !== str(props.id) || !shownOnMap(a)) continue;
      const [lat, lon] = seaPosition(a);
      if (!p.contains(lon, lat)) continue;
      map.append(seaMarker(a, p, r * 1.3));
    }
    const caption = el("figcaption", "caption");
    caption.append(el("strong", "", str(props.name)),
      document.createTextNode(` · ${inside.length} inside · ${here.length} around`));
    box.append(map, caption);
    if (inside.length) {
      const ul = el("ul");
      for (const v of inside.slice(0, 8)) {
        const name = v.vessel && v.vessel.name ? str(v.vessel.name) : "unnamed";
        const item = el("li");
        item.append(vesselLink(v.mmsi, "", `${name} (MMSI ${mmsiText(v.mmsi)})`));
        ul.append(item);
      }
      box.append(ul);
    }
    host.append(box);
  }
}

function refreshMap() {
  return fetch("api/vessels").then(r => r.json()).then(v => {
    lastVessels = Array.isArray(v) ? v : [];
    drawMaps(lastVessels);
  })
    .catch(() => { /* the next refresh tries again */ });
}

// ---------------------------------------------------------------- at sea (inline SVG, no tiles)

const SEA_MIN_SPAN = 0.2; // degrees of latitude (about 22 km): a single finding still has a view
const SEA_PAD = 0.15; // of the findings' extent, on every side
const SEA_LIST_MAX = 200;
const SEA_LABEL = { sts_encounter: "ship-to-ship encounter", loitering: "loitering",
  dark_vessel: "dark vessel" };

// [lat, lon] of an at-sea alert, or null: not an at-sea kind or no usable position.
function seaPosition(a) {
  if (!a || !SEA_KINDS.includes(str(a.kind))) return null;
  const ev = obj(a.evidence);
  const lat = num(ev.lat);
  const lon = num(ev.lon);
  if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  return [lat, lon];
}

// Shown on the maps when its card is: the kind and severity filters and acknowledging apply.
function shownOnMap(a) {
  const li = cards.get(str(a.alert_id));
  return !!li && !li.hidden;
}

function vesselName(name, mmsi) {
  const n = str(name);
  if (!hasMmsi(mmsi)) return n || "unidentified";
  return (n ? n + " " : "") + "(MMSI " + str(mmsi) + ")";
}

// The candidate MMSIs, nearest last fix first (as published; re-sorted if the details say so).
function darkCandidates(ev) {
  const details = Array.isArray(ev.candidate_details) ? ev.candidate_details.map(obj) : [];
  const km = new Map(details.map(d => [str(d.mmsi), num(d.last_seen_km)]));
  let mmsis = Array.isArray(ev.candidates) ? ev.candidates.map(str).filter(Boolean) : [];
  if (!mmsis.length) mmsis = details.map(d => str(d.mmsi)).filter(Boolean);
  const dist = m => { const d = km.get(m); return d === null || d === undefined ? Infinity : d; };
  return mmsis.map((m, i) => [m, i]).sort((x, y) => (dist(x[0]) - dist(y[0])) || (x[1] - y[1]))
    .map(([m]) => ({ mmsi: m, km: km.get(m) }));
}

// One line per finding: what, who, when (the same words on the marker's tooltip and the list).
function seaDescription(a) {
  const ev = obj(a.evidence);
  const kind = str(a.kind);
  const v = obj(a.vessel);
  const self = vesselName(v.name || ev.name, a.mmsi);
  if (kind === "sts_encounter") {
    const other = obj(ev.other);
    const when = shortTime(ev.started_at || a.at) + " – "
      + (ev.ended_at ? shortTime(ev.ended_at) : "ongoing");
    const extra = [];
    if (num(ev.min_distance_m) !== null) extra.push("closest " + num(ev.min_distance_m) + " m");
    if (num(ev.draught_change_m) !== null) {
      const c = num(ev.draught_change_m);
      extra.push("draught " + (c > 0 ? "+" : "") + c + " m");
    }
    return { vessels: self + " ↔ " + vesselName(other.name, other.mmsi), when, extra };
  }
  if (kind === "loitering") {
    const extra = num(ev.duration_h) !== null ? [num(ev.duration_h) + " h so far"] : [];
    return { vessels: self, when: "since " + shortTime(ev.started_at || a.at), extra };
  }
  const extra = [];
  if (num(ev.length_m) !== null) extra.push(num(ev.length_m) + " m long");
  if (ev.source) extra.push("seen by " + str(ev.source));
  if (a.port) extra.push("port " + str(a.port));
  return { vessels: "unidentified", when: shortTime(ev.ts || a.at), extra };
}

function candidatesText(ev) {
  const found = darkCandidates(ev);
  return "candidates: " + (found.length ? found.map(c => c.mmsi).join(", ") : "none");
}

// The same words as candidatesText, each candidate a link to its vessel page.
function candidateLinks(ev) {
  const found = darkCandidates(ev);
  const box = el("div", "candidates", "candidates: " + (found.length ? "" : "none"));
  found.forEach((c, i) => {
    if (i) box.append(document.createTextNode(", "));
    box.append(vesselLink(c.mmsi, "", c.mmsi));
  });
  return box;
}

function seaTooltip(a) {
  const d = seaDescription(a);
  const ev = obj(a.evidence);
  const lines = [(SEA_LABEL[str(a.kind)] || str(a.kind)) + " · " + str(a.severity),
    d.vessels, d.when, ...d.extra];
  if (str(a.kind) === "dark_vessel") {
    const found = darkCandidates(ev);
    lines.push(candidatesText(ev));
    for (const c of found) if (c.km !== null && c.km !== undefined) lines.push(`  ${c.mmsi}: last seen ${c.km} km away`);
  }
  if (str(a.status) === "retracted") lines.push("retracted");
  return lines.join("\n");
}

function diamond(x, y, r) {
  return `M${x} ${(y - r).toFixed(1)}L${(x + r).toFixed(1)} ${y}L${x} ${(y + r).toFixed(1)}`
    + `L${(x - r).toFixed(1)} ${y}Z`;
}

// A marker: two linked dots for an encounter, a circle for loitering, a hollow diamond for a
// dark vessel. Its <title> is the tooltip.
function seaMarker(a, p, r) {
  const [lat, lon] = seaPosition(a);
  const [sx, sy] = p.xy(lon, lat);
  const x = Number(sx);
  const y = Number(sy);
  const kind = str(a.kind);
  const sev = ["critical", "warning", "info"].includes(a.severity) ? a.severity : "unknown";
  const g = svg("g", { class: `sea-mark ${kind} ${sev}` + (str(a.status) === "retracted" ? " retracted" : ""),
    "data-alert-id": str(a.alert_id), "data-kind": kind });
  const tip = svg("title");
  tip.textContent = seaTooltip(a);
  g.append(tip);
  if (kind === "sts_encounter") {
    const dx = r * 1.1;
    g.append(svg("line", { x1: (x - dx).toFixed(1), y1: y, x2: (x + dx).toFixed(1), y2: y, class: "link" }),
      svg("circle", { cx: (x - dx).toFixed(1), cy: y, r: r * 0.8, class: "dot" }),
      svg("circle", { cx: (x + dx).toFixed(1), cy: y, r: r * 0.8, class: "dot other" }));
  } else if (kind === "loitering") {
    g.append(svg("circle", { cx: x, cy: y, r, class: "dot" }));
  } else {
    g.append(svg("path", { d: diamond(x, y, r * 1.3), class: "diamond" }));
  }
  return g;
}

// The findings' bounding box, padded, at least SEA_MIN_SPAN high and never thinner than 1:2.
function seaView(points) {
  let [minx, miny, maxx, maxy] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [lat, lon] of points) {
    minx = Math.min(minx, lon); maxx = Math.max(maxx, lon);
    miny = Math.min(miny, lat); maxy = Math.max(maxy, lat);
  }
  const k = Math.max(Math.cos(((miny + maxy) / 2) * Math.PI / 180), 0.05);
  let h = Math.max((maxy - miny) * (1 + 2 * SEA_PAD), SEA_MIN_SPAN);
  let w = Math.max((maxx - minx) * k * (1 + 2 * SEA_PAD), SEA_MIN_SPAN); // in latitude degrees
  if (w > 2 * h) h = w / 2;
  if (h > 2 * w) w = h / 2;
  const cx = (minx + maxx) / 2;
  const cy = (miny + maxy) / 2;
  return [cx - w / k / 2, Math.max(cy - h / 2, -90), cx + w / k / 2, Math.min(cy + h / 2, 90)];
}

function drawSea() {
  const host = document.getElementById("sea");
  if (!host) return;
  const shown = [...seaAlerts.values()].filter(shownOnMap)
    .sort((x, y) => sortKey(y).localeCompare(sortKey(x))); // newest first, like the list
  document.getElementById("sea-empty").hidden = shown.length > 0;
  host.replaceChildren();
  if (!shown.length) return;
  const p = projector(seaView(shown.map(seaPosition)));
  const box = el("figure", "sea-map");
  const map = svg("svg", { viewBox: `0 0 ${p.width.toFixed(1)} ${p.height.toFixed(1)}`, role: "img" });
  const label = svg("title");
  label.textContent = `At sea: ${shown.length} finding${shown.length === 1 ? "" : "s"}`;
  map.append(label);
  drawLand(map, p);
  const r = Math.max(p.width, p.height) * 0.022;
  for (const a of [...shown].reverse()) { // newest drawn on top; a vessel's marker links to it
    const mark = seaMarker(a, p, r);
    const href = vesselHref(a.mmsi);
    if (href) {
      const link = svg("a", { href, class: "vessel-link" });
      link.append(mark);
      map.append(link);
    } else {
      map.append(mark);
    }
  }
  const counts = {};
  for (const a of shown) counts[str(a.kind)] = (counts[str(a.kind)] || 0) + 1;
  const caption = el("figcaption", "caption");
  caption.append(el("strong", "", "At sea"), document.createTextNode(" · " + SEA_KINDS
    .filter(k => counts[k]).map(k => `${counts[k]} ${SEA_LABEL[k]}`).join(" · ")));
  box.append(map, caption);
  const ul = el("ol", "sea-list");
  for (const a of shown.slice(0, SEA_LIST_MAX)) {
    const d = seaDescription(a);
    const kind = str(a.kind);
    const li = el("li", "sea-item " + kind + (str(a.status) === "retracted" ? " retracted" : ""));
    li.dataset.alertId = str(a.alert_id);
    li.append(el("span", "sea-kind", SEA_LABEL[kind] || kind), document.createTextNode(" "),
      vesselLink(a.mmsi, "sea-vessels", d.vessels), el("span", "sea-when", " · " + d.when));
    if (d.extra.length) li.append(el("span", "sea-extra", " · " + d.extra.join(" · ")));
    if (kind === "dark_vessel") li.append(candidateLinks(obj(a.evidence)));
    ul.append(li);
  }
  box.append(ul);
  if (shown.length > SEA_LIST_MAX) box.append(el("p", "more", `and ${shown.length - SEA_LIST_MAX} more`));
  host.append(box);
}

// Many alerts arrive at once on a catch-up: draw once after them, not once per alert.
let seaPending = false;
function scheduleSea() {
  if (seaPending) return;
  seaPending = true;
  setTimeout(() => {
    seaPending = false;
    drawSea();
    if (fencePending) { fencePending = false; drawMaps(lastVessels); }
  }, 0);
}
let fencePending = false;
function scheduleFenceRedraw() {
  fencePending = true;
  scheduleSea();
}

// ---------------------------------------------------------------- feeds

function catchUp() {
  return fetch("api/alerts").then(r => r.json()).then(all => {
    if (Array.isArray(all)) for (const a of all) add(a);
  });
}

// Who this page acts as: without a name from the team's proxy, the page is read-only.
function whoAmI() {
  return fetch("api/whoami").then(r => (r.ok ? r.json() : { user: null, can_write: false }))
    .catch(() => ({ user: null, can_write: false }))
    .then(w => {
      me = { user: obj(w).user ? str(obj(w).user) : null, can_write: obj(w).can_write === true };
      document.getElementById("readonly").hidden = me.can_write;
      document.getElementById("whoami").textContent = me.user ? "signed in as " + me.user : "";
      document.body.classList.toggle("read-only", !me.can_write);
      for (const li of cards.values()) showTriage(li);
    });
}

function catchUpTriage() {
  return fetch("api/triage").then(r => (r.ok ? r.json() : {})).then(all => {
    for (const s of Object.values(obj(all))) applyState(s);
  }).catch(() => { /* the stream's next open tries again */ });
}

// Every worker reads the whole triage topic: this stream carries each change, from any page.
function connectTriage() {
  const es = new EventSource("api/triage/stream");
  es.onopen = () => { catchUpTriage(); };
  es.addEventListener("triage", m => {
    try { applyState(JSON.parse(m.data)); } catch (e) { /* not JSON: skip it */ }
  });
}

function connect() {
  const es = new EventSource("api/stream");
  es.onopen = () => {
    statusEl.textContent = "live";
    statusEl.classList.add("live");
    catchUp(); // anything published while reconnecting
  };
  es.onerror = () => {
    statusEl.textContent = "reconnecting…";
    statusEl.classList.remove("live");
  };
  es.onmessage = m => {
    try { add(JSON.parse(m.data)); } catch (e) { /* not JSON: skip it */ }
  };
}

fetch("/static/coast.geojson").then(r => (r.ok ? r.json() : null)).then(c => {
  land = landOf(c);
  drawMaps(lastVessels);
  drawSea();
}).catch(() => { /* no coastline: the maps show water only */ });
fetch("api/geofences").then(r => r.json()).then(g => {
  fences = Array.isArray(g.features) ? g.features : [];
  return refreshMap();
}).finally(() => setInterval(refreshMap, MAP_REFRESH_MS));
refilter();
whoAmI().finally(() => {
  catchUp().catch(() => {}).finally(() => { connect(); connectTriage(); });
});
