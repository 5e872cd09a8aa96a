// A vessel's page: /vessels/<mmsi>[?days=N]. Everything shown comes from /api/vessels/<mmsi>,
// whose names, titles and notes anyone with a transmitter (or a triage note) could have
// written: values are set with textContent, setAttribute or DOM nodes only, never parsed as
// HTML (Leaflet tooltips get elements, not strings).
import { el, textNode } from "./dom.js";
import { arr, evidenceText, flagText, latLon, ms, num, obj, severityOf, str, when } from "./format.js";
import { asRecord, integrityMark, integrityMarkSize, integrityPlaces, integrityText, isIntegrity }
  from "./integrity.js";
import { L, addFences, baseMap, glyphMarker, loadCoast, loadFences } from "./map.js";

const DAY_CHOICES = [7, 30, 90];
const DEFAULT_DAYS = 30;
const GAP_S = 6 * 3600; // fixes further apart than this: the track is broken, the gap dashed
const NEAR_FIX_S = 3 * 3600; // an entry without a position is placed at a fix this close in time
const FOCUS_ZOOM = 10;
const INTEGRITY_R = 6; // px: the mark of a shared identity or a false position
const EXPORTS = [["geojson", "GeoJSON"], ["csv", "CSV"], ["kml", "KML"], ["json", "JSON bundle"]];
const SHIP_TYPES = [ // ITU-R M.1371 type codes, by range
  [20, 29, "wing in ground"], [30, 30, "fishing"], [31, 32, "towing"], [33, 33, "dredging"],
  [34, 34, "diving"], [35, 35, "military"], [36, 36, "sailing"], [37, 37, "pleasure craft"],
  [40, 49, "high-speed craft"], [50, 50, "pilot"], [51, 51, "search and rescue"],
  [52, 52, "tug"], [53, 53, "port tender"], [54, 54, "anti-pollution"],
  [55, 55, "law enforcement"], [58, 58, "medical transport"], [59, 59, "non-combatant"],
  [60, 69, "passenger"], [70, 79, "cargo"], [80, 89, "tanker"], [90, 99, "other"],
];

const mmsi = (location.pathname.match(/^\/vessels\/(\d{1,9})\/?$/) || [])[1] || null;
const statusEl = document.getElementById("status");
const timelineEl = document.getElementById("timeline");
const filterSel = document.getElementById("timeline-filter");
let days = (() => {
  const asked = Number(new URLSearchParams(location.search).get("days"));
  return DAY_CHOICES.includes(asked) ? asked : DEFAULT_DAYS;
})();
let loadSeq = 0;
let fixes = []; // the drawn track: {t, lat, lon, fix}, oldest first
const fences = new Map(); // fence id -> {name, role, bounds}

// ---------------------------------------------------------------- small helpers

function pair(v) { return Array.isArray(v) && v.length === 2 ? latLon(v[0], v[1]) : null; }
function duration(seconds) {
  const s = num(seconds);
  if (s === null) return "";
  const m = Math.round(s / 60);
  if (m < 60) return m + " min";
  const h = Math.floor(m / 60);
  if (h < 48) return h + " h" + (m % 60 && h < 10 ? " " + (m % 60) + " min" : "");
  return Math.floor(h / 24) + " d " + (h % 24) + " h";
}
function between(a, b) { const x = ms(a); const y = ms(b); return x !== null && y !== null ? (y - x) / 1000 : null; }
function metres(v, digits = 1) { const n = num(v); return n === null ? "" : n.toFixed(digits) + " m"; }
function fmt(v) { const n = num(v); return n === null ? str(v) : n.toLocaleString("en-US"); }
function portName(id) { return str(id) || "an unnamed port"; }
function vesselRef(name, other) { return str(name) || (other ? "MMSI " + str(other) : "another vessel"); }
function shipType(code) {
  const n = num(code);
  if (n === null) return "";
  const found = SHIP_TYPES.find(([lo, hi]) => n >= lo && n <= hi);
  return found ? n + " — " + found[2] : String(n);
}
function setStatus(text, error) {
  statusEl.textContent = text;
  statusEl.classList.toggle("error", Boolean(error));
}
// Only our own pages' paths become links: never a javascript: or another site's URL.
function ownPath(href) {
  const s = str(href);
  if (!s.startsWith("/") || s.startsWith("//")) return null;
  try { return new URL(s, location.origin); } catch (e) { return null; }
}

// ---------------------------------------------------------------- the map

let map = null;
const layers = {};

function setUpMap() {
  // The focus ring's pane is above the track: the ring stays visible over the line it marks.
  map = baseMap(document.getElementById("map"), { zoomControl: true, panes: ["focus"] });
  if (!map) return;
  layers.track = L.layerGroup().addTo(map);
  layers.events = L.layerGroup().addTo(map);
  layers.focus = L.layerGroup().addTo(map);
  map.setView([42.2, 131.5], 6);
  loadCoast().then(land => { if (!land) document.getElementById("legend-land").hidden = true; });
}

async function placeFences() {
  const features = await loadFences(); // none when the worker cannot say: the track still shows
  if (!map) return;
  for (const [id, fence] of addFences(map, features)) fences.set(id, fence);
}

function drawTrack(track) {
  layers.track.clearLayers();
  fixes = [];
  for (const f of arr(track)) {
    const p = latLon(obj(f).lat, obj(f).lon);
    const t = ms(obj(f).ts);
    if (p && t !== null) fixes.push({ t, lat: p[0], lon: p[1], fix: f });
  }
  fixes.sort((a, b) => a.t - b.t);
  // Keep the line continuous across the antimeridian: each longitude within 180° of the last.
  for (let i = 1; i < fixes.length; i++) {
    while (fixes[i].lon - fixes[i - 1].lon > 180) fixes[i].lon -= 360;
    while (fixes[i].lon - fixes[i - 1].lon < -180) fixes[i].lon += 360;
  }
  if (!map || fixes.length === 0) return;
  let segment = [fixes[0]];
  const segments = [segment];
  for (let i = 1; i < fixes.length; i++) {
    if ((fixes[i].t - fixes[i - 1].t) / 1000 > GAP_S) {
      const a = fixes[i - 1]; const b = fixes[i];
      L.polyline([[a.lat, a.lon], [b.lat, b.lon]], { className: "track-gap", dashArray: "6 6" })
        .bindTooltip(textNode("no fix for " + duration((b.t - a.t) / 1000) + ": "
          + when(a.fix.ts) + " → " + when(b.fix.ts)), { sticky: true })
        .addTo(layers.track);
      segment = [];
      segments.push(segment);
    }
    segment.push(fixes[i]);
  }
  for (const part of segments) {
    if (part.length > 1) {
      L.polyline(part.map(f => [f.lat, f.lon]), { className: "track", interactive: false })
        .addTo(layers.track);
    }
  }
  const first = fixes[0];
  const last = fixes[fixes.length - 1];
  if (fixes.length > 1) {
    L.circleMarker([first.lat, first.lon], { radius: 4, className: "first-fix" })
      .bindTooltip(textNode("first fix in these days: " + when(first.fix.ts)))
      .addTo(layers.track);
  }
  const speed = num(last.fix.sog);
  const course = num(last.fix.cog);
  const lastText = ["last position " + when(last.fix.ts)];
  if (speed !== null) lastText.push(speed.toFixed(1) + " kn");
  if (course !== null) lastText.push("course " + Math.round(course) + "°");
  L.circleMarker([last.lat, last.lon], { radius: 7, className: "last-fix" })
    .bindTooltip(textNode(lastText.join(" · ")))
    .addTo(layers.track);
}

function fitView() {
  if (!map) return;
  if (fixes.length > 0) {
    const bounds = L.latLngBounds(fixes.map(f => [f.lat, f.lon]));
    map.fitBounds(bounds.pad(0.08), { maxZoom: 11 });
  } else if (fences.size > 0) {
    const all = L.latLngBounds([]);
    for (const f of fences.values()) all.extend(f.bounds);
    map.fitBounds(all.pad(0.3));
  }
}

function focusOn(place, label) {
  if (!map || !place) return;
  layers.focus.clearLayers();
  if (place.bounds) {
    map.fitBounds(place.bounds.pad(0.15), { maxZoom: 11 });
    L.rectangle(place.bounds.pad(0.05), { pane: "focus", className: "focus-ring", interactive: false })
      .addTo(layers.focus);
  } else {
    map.setView(place.point, Math.max(map.getZoom(), FOCUS_ZOOM));
    L.circleMarker(place.point, { pane: "focus", radius: 13, className: "focus-ring" })
      .bindTooltip(textNode(label), { permanent: false })
      .addTo(layers.focus);
  }
}

// ---------------------------------------------------------------- where an entry happened

function nearestFix(iso) {
  const t = ms(iso);
  if (t === null || fixes.length === 0) return null;
  let best = null;
  for (const f of fixes) if (!best || Math.abs(f.t - t) < Math.abs(best.t - t)) best = f;
  return Math.abs(best.t - t) / 1000 <= NEAR_FIX_S ? [best.lat, best.lon] : null;
}

function fenceBounds(...ids) {
  if (!L) return null;
  const found = ids.map(id => fences.get(str(id))).filter(Boolean);
  if (found.length === 0) return null;
  const b = L.latLngBounds([]);
  for (const f of found) b.extend(f.bounds);
  return b;
}

// An integrity finding, event or alert, as its event record (an alert: its evidence).
function integrityRecord(entry) {
  const r = obj(entry.record);
  const kind = str(entry.kind) || str(r.kind);
  if (!isIntegrity(kind)) return null;
  return entry.source === "alert" ? { ...asRecord(r), kind } : { ...r, kind };
}

function placeOf(entry) {
  const r = obj(entry.record);
  const ev = obj(r.evidence);
  const finding = integrityRecord(entry);
  if (finding) {
    // Where the vessel said it was (the fix compared, the last one before a silence).
    const own = integrityPlaces(finding, mmsi).find(p => p.role === "self");
    if (own) return { point: own.point };
  }
  const point = latLon(r.lat, r.lon) || latLon(ev.lat, ev.lon);
  if (point) return { point };
  const ends = [latLon(r.from_lat, r.from_lon), latLon(r.to_lat, r.to_lon), pair(r.from), pair(r.to)]
    .filter(Boolean);
  if (ends.length > 0 && L) {
    return ends.length === 1 ? { point: ends[0] } : { bounds: L.latLngBounds(ends) };
  }
  const ports = r.kind === "voyage" ? [r.origin, r.destination] : [r.port || r.fence || ev.port];
  const bounds = fenceBounds(...ports.filter(Boolean));
  if (bounds) return { bounds };
  const near = nearestFix(entry.at);
  return near ? { point: near } : null;
}

// ---------------------------------------------------------------- what an entry says

const GROUPS = {
  enter: "port", exit: "port", stop: "port", port_call: "port", voyage: "port", delivery: "port",
  gap: "gap", gap_filled: "gap", ais_gap: "gap", gap_retracted: "gap", dark_port_call: "gap",
  encounter: "sea", loitering: "sea", sighting: "sea",
  identity: "identity", identity_change: "identity", draught: "identity", vessel: "identity",
  identity_conflict: "integrity", invalid_identity: "integrity", identity_swap: "integrity",
  position_tampering: "integrity", gnss_interference: "integrity",
};
const MINOR = new Set(["enter", "exit", "stop", "vessel", "glitch", "gap_filled"]);

function changeText(field, old, now) {
  const show = v => (Array.isArray(v) ? v.map(str).join(", ") : str(v)) || "none";
  return str(field || "identity") + ": " + show(old) + " → " + show(now);
}

function eventText(r) {
  const kind = str(r.kind);
  switch (kind) {
    case "enter":
      return "Entered " + portName(r.fence) + (r.observed_entry === false ? " (entry not seen)" : "");
    case "stop":
      return "Stayed in " + portName(r.fence) + " (" + str(r.stayed) + ")";
    case "exit":
      return "Left " + portName(r.fence) + " after " + duration(r.dwell_s)
        + (r.stayed ? " (" + str(r.stayed) + ")" : " (transit)");
    case "port_call": {
      if (!r.departed_at) return "Arrived at " + portName(r.port) + " (" + str(r.stayed) + ")";
      let text = "Port call at " + portName(r.port) + ": " + duration(between(r.arrived_at, r.departed_at))
        + ", left " + when(r.departed_at);
      if (num(r.draught_arrival) !== null || num(r.draught_departure) !== null) {
        text += "; draught " + (metres(r.draught_arrival) || "?") + " → " + (metres(r.draught_departure) || "?");
      }
      return text;
    }
    case "voyage":
      return "Voyage " + portName(r.origin) + " → " + portName(r.destination) + ", "
        + duration(r.transit_s) + " at sea, " + (r.loaded ? "loaded" : "not loaded")
        + (r.origin_dark ? " (dark call at the origin)" : "");
    case "delivery":
      return "Delivery at " + portName(r.port) + " from " + portName(r.origin) + ": draught "
        + (metres(r.draught_before) || "?") + " → " + (metres(r.draught_after) || "?")
        + (num(r.discharged_m) !== null ? " (" + num(r.discharged_m).toFixed(1) + " m lighter)" : "");
    case "gap":
      return "AIS silent for " + duration(r.duration_s)
        + (arr(r.inside).length ? " from inside " + arr(r.inside).map(str).join(", ") : "")
        + (arr(r.candidates).some(c => obj(c).feasible)
          ? "; could have reached " + arr(r.candidates).filter(c => obj(c).feasible).map(c => str(obj(c).fence)).join(", ")
          : "");
    case "gap_filled":
      return "Late fixes filled the gap " + when(r.from_at) + " → " + when(r.to_at);
    case "ais_gap":
      return "AIS gap of " + duration(r.duration_s)
        + (arr(r.near).length ? " near " + arr(r.near).map(str).join(", ") : "");
    case "gap_retracted":
      return "Gap " + when(r.from_at) + " → " + when(r.to_at) + " withdrawn: late fixes filled it";
    case "dark_port_call":
      if (r.reported_at) {
        return "Dark call at " + portName(r.port) + " confirmed: draught " + metres(r.draught_before)
          + " → " + metres(r.draught_after) + " after a " + fmt(r.gap_h) + " h gap";
      }
      return "Possible dark call at " + portName(r.port) + " during a " + fmt(r.gap_h)
        + " h AIS gap (" + fmt(r.spare_h) + " h to spare)";
    case "identity":
    case "identity_change":
      if (r.field === "position") {
        return "Two transmitters on this MMSI, " + fmt(r.apart_km) + " km apart";
      }
      return changeText(r.field, r.old, r.new);
    case "draught":
      return "Draught " + (metres(r.previous) || "?") + " → " + metres(r.draught);
    case "vessel":
      return "Static report: " + [r.name, r.imo ? "IMO " + str(r.imo) : "", r.callsign]
        .map(str).filter(Boolean).join(" · ");
    case "glitch":
      return "Impossible jump of " + fmt(r.jump_km) + " km ignored";
    case "encounter": {
      const other = vesselRef(r.other_name, r.other_mmsi)
        + (r.other_name && r.other_mmsi ? " (MMSI " + str(r.other_mmsi) + ")" : "");
      return "Encounter with " + other + ", " + fmt(r.min_distance_m) + " m apart, "
        + duration(r.duration_s) + (r.ended_at ? "" : " so far");
    }
    case "loitering":
      return "Loitering at " + fmt(r.median_sog) + " kn for " + duration(r.duration_s)
        + (r.ended_at ? "" : " so far");
    case "sighting":
      return "Seen by satellite" + (r.source ? " (" + str(r.source) + ")" : "");
    case "identity_conflict":
    case "invalid_identity":
    case "identity_swap":
    case "position_tampering":
    case "gnss_interference":
      return integrityText(r, mmsi);
    default:
      return kind.replace(/_/g, " ") || "event";
  }
}

// Triage as triage.board keeps it: acknowledged and false_positive {by, at} | null, assignee
// {name, by, at} | null, notes [{by, at, text}] (plain strings and booleans read too).
function byAt(mark) {
  const m = obj(mark);
  return (m.by ? " by " + str(m.by) : "") + (m.at ? " " + when(m.at) : "");
}
function triageLine(a) {
  const line = el("div", "triage");
  const t = obj(a.triage);
  const retracted = str(a.status) === "retracted";
  if (retracted) line.append(el("span", "state", "retracted by later data"));
  if (t.false_positive) {
    line.append(el("span", "state fp", "false positive" + byAt(t.false_positive)));
  }
  if (t.acknowledged) {
    line.append(el("span", "state acked", "acknowledged" + (byAt(t.acknowledged) || "")));
  } else if (!retracted && !t.false_positive) {
    line.append(el("span", "state open", "not acknowledged"));
  }
  if (t.assignee) {
    const who = typeof t.assignee === "object" ? str(obj(t.assignee).name) : str(t.assignee);
    if (who) line.append(el("span", "state", "assigned to " + who));
  }
  const notes = Array.isArray(t.notes) ? t.notes : (t.notes ? [{ text: t.notes }] : []);
  for (const note of notes.slice(-3)) {
    const n = typeof note === "object" && note !== null ? note : { text: note };
    const who = [str(n.by), n.at ? when(n.at) : ""].filter(Boolean).join(" ");
    line.append(el("span", "notes", (who ? who + ": " : "") + str(n.text)));
  }
  if (notes.length > 3) line.append(el("span", "notes", "and " + (notes.length - 3) + " earlier notes"));
  return line;
}

function evidenceDetails(evidence) {
  const entries = Object.entries(obj(evidence));
  if (entries.length === 0) return null;
  const details = el("details", "evidence");
  details.append(el("summary", "", "evidence"));
  const dl = el("dl", "facts");
  for (const [key, value] of entries) {
    dl.append(el("dt", "", key), el("dd", "mono", evidenceText(value)));
  }
  details.append(dl);
  details.addEventListener("click", e => e.stopPropagation()); // opening it does not pan
  return details;
}

function describe(entry) {
  const r = obj(entry.record);
  const source = str(entry.source);
  const kind = str(entry.kind) || str(r.kind);
  if (source === "alert") {
    const sev = severityOf(r.severity);
    const finding = integrityRecord(entry);
    return { group: "alert", cls: "alert " + sev, kind, severity: sev,
      text: str(r.title) || kind.replace(/_/g, " "),
      // An integrity alert also says what was compared, in the timeline's words.
      detail: finding ? integrityText(finding, mmsi) : "" };
  }
  if (source === "identity") {
    return { group: "identity", cls: "identity", kind: "identity", text: changeText(r.field, r.old, r.new) };
  }
  const group = GROUPS[kind] || "other";
  const cls = (kind === "dark_port_call" ? "dark" : group) + (MINOR.has(kind) ? " minor" : "");
  return { group, cls, kind, text: eventText({ ...r, kind }) };
}

// ---------------------------------------------------------------- rendering

function renderHead(data) {
  const id = obj(data.identity);
  const name = str(id.name);
  document.getElementById("vessel-name").textContent = name || "unnamed vessel";
  document.title = (name || "MMSI " + str(data.mmsi)) + " — shipwatch";
  const ids = ["MMSI " + str(data.mmsi)];
  if (id.imo) ids.push("IMO " + str(id.imo));
  if (id.callsign) ids.push("call sign " + str(id.callsign));
  const flag = flagText(id.flag);
  if (flag) ids.push("flag " + flag);
  document.getElementById("vessel-ids").textContent = ids.join(" · ");
}

function renderIdentity(data) {
  const id = obj(data.identity);
  const dl = document.getElementById("identity");
  dl.replaceChildren();
  const size = [num(id.length), num(id.beam)];
  const last = fixes.length ? fixes[fixes.length - 1].fix : null;
  const rows = [
    ["Name", str(id.name) || "—"],
    ["MMSI", str(data.mmsi)],
    ["IMO", str(id.imo) || "—"],
    ["Call sign", str(id.callsign) || "—"],
    ["Flag", (flagText(id.flag) || "—") + (obj(id.flag).mid ? " (MID " + str(obj(id.flag).mid) + ")" : "")],
    ["Ship type", shipType(id.ship_type) || "—"],
    ["Size", size[0] !== null ? size[0] + " m" + (size[1] !== null ? " × " + size[1] + " m" : "") : "—"],
    ["Draught", metres(id.draught) || "—"],
    ["Destination", str(id.destination) || "—"],
    ["First seen", id.first_seen ? when(id.first_seen) : "—"],
    ["Last seen", id.last_seen ? when(id.last_seen) : "—"],
  ];
  if (last) {
    const bits = [Number(last.lat).toFixed(4) + ", " + Number(last.lon).toFixed(4)];
    if (num(last.sog) !== null) bits.push(num(last.sog).toFixed(1) + " kn");
    rows.push(["Last position", bits.join(" · ")]);
  }
  for (const [k, v] of rows) dl.append(el("dt", "", k), el("dd", "", v));

  const changes = document.getElementById("identity-changes");
  changes.replaceChildren();
  const identityEntries = arr(data.timeline).filter(e => obj(e).source === "identity");
  for (const entry of identityEntries.slice().reverse()) {
    const r = obj(entry.record);
    const li = el("li");
    li.append(el("span", "when", when(entry.at)), el("span", "", str(r.field) + ": "));
    li.append(el("span", "old", str(r.old) || "none"), document.createTextNode(" → "),
      el("span", "", str(r.new) || "none"));
    changes.append(li);
  }
  changes.hidden = identityEntries.length === 0;
}

function barrelsText(v) {
  const n = num(v);
  return n === null ? "" : "≈ " + Math.round(n).toLocaleString("en-US") + " bbl";
}

function renderCargo(data) {
  const box = document.getElementById("cargo");
  box.replaceChildren();
  const cargo = obj(data.cargo);
  const aboard = barrelsText(cargo.estimated_barrels);
  const delivered = barrelsText(cargo.delivered_barrels);
  box.append(aboard ? el("div", "barrels", aboard + " aboard")
    : el("div", "barrels none", "nothing estimated aboard"));
  if (delivered) box.append(el("div", "delivered", delivered + " delivered in these days"));
  const hull = obj(cargo.hull);
  if (num(hull.length_m) !== null && num(hull.beam_m) !== null) {
    box.append(el("div", "basis", "hull " + num(hull.length_m) + " m × " + num(hull.beam_m) + " m"));
  }
  // Every loading and delivery when the API lists them (movements), else the deliveries.
  const moves = (Array.isArray(cargo.movements) ? cargo.movements : arr(cargo.deliveries)).map(obj);
  if (moves.length > 0) {
    const table = el("table", "deliveries");
    const head = el("tr");
    for (const h of ["date", "", "where", "bbl", "draught"]) head.append(el("th", "", h));
    table.append(head);
    for (const m of moves.slice().reverse()) {
      const row = el("tr");
      const change = num(m.draught_change_m);
      const kind = str(m.kind) || (change !== null && change > 0 ? "loaded" : "delivered");
      const date = el("td", "nowrap", when(m.at).slice(0, 10));
      date.title = when(m.at);
      row.append(date, el("td", "move " + kind, kind),
        el("td", "", (str(m.route) || str(m.port) || "—").replace("->", " → ")),
        el("td", "n", num(m.barrels) !== null ? Math.round(num(m.barrels)).toLocaleString("en-US") : "—"),
        el("td", "n", change !== null ? (change > 0 ? "+" : "") + change.toFixed(1) + " m" : "—"));
      table.append(row);
    }
    // A card can be narrower than the table's columns at their narrowest: the table scrolls
    // sideways inside the card rather than spill out of it.
    const scroller = el("div", "table-scroll");
    scroller.append(table);
    box.append(scroller);
  }
  if (cargo.basis) box.append(el("p", "basis", "Estimated from " + str(cargo.basis) + "."));
}

function renderExports(data) {
  const list = document.getElementById("exports");
  list.replaceChildren();
  const exports = obj(data.exports);
  for (const [key, label] of EXPORTS) {
    const url = ownPath(exports[key]);
    if (!url) continue;
    const a = el("a", "", label);
    a.href = url.pathname + url.search;
    a.dataset.format = key;
    a.setAttribute("download", ""); // a file to keep, named by the server
    const li = el("li");
    li.append(a);
    list.append(li);
  }
  if (!list.children.length) list.append(el("li", "empty", "no exports offered"));
}

function renderTimeline(data) {
  timelineEl.replaceChildren();
  layers.events && layers.events.clearLayers();
  layers.focus && layers.focus.clearLayers();
  // A draught change is both a static report's change and the tracker's draught event: once.
  const draughtEvents = new Set(arr(data.timeline).map(obj)
    .filter(e => e.source === "event" && e.kind === "draught").map(e => str(e.at)));
  const entries = arr(data.timeline).map(obj).filter(e => !(e.source === "identity"
    && obj(e.record).field === "draught" && draughtEvents.has(str(e.at))));
  const items = [];
  const integrity = []; // [entry, d, go] of the integrity findings, marked once all are known
  entries.forEach((entry, index) => {
    const d = describe(entry);
    const li = el("li", d.cls);
    li.dataset.group = d.group;
    li.dataset.kind = d.kind;
    li.dataset.source = str(entry.source);
    const r = obj(entry.record);
    if (entry.source === "alert") {
      li.dataset.alertId = str(r.alert_id);
      if (str(r.status) === "retracted") li.classList.add("retracted");
    }
    const top = el("div", "entry-top");
    const time = el("time", "", when(entry.at));
    time.dateTime = str(entry.at);
    if (d.severity) top.append(el("span", "sev", d.severity));
    top.append(time, el("span", "kind", d.kind.replace(/_/g, " ")));
    const place = placeOf(entry);
    if (place) top.append(el("span", "pin", "show on map"));
    li.append(top, el("div", "text", d.text));
    if (d.detail && d.detail !== d.text) li.append(el("div", "detail", d.detail));
    if (entry.source === "alert") {
      const where = [r.route ? "route " + str(r.route) : "", r.port ? "port " + str(r.port) : ""]
        .filter(Boolean);
      if (where.length) li.append(el("div", "kind", where.join(" · ")));
      li.append(triageLine(r));
      const details = evidenceDetails(r.evidence);
      if (details) li.append(details);
    }
    if (place) {
      li.classList.add("has-position");
      li.tabIndex = 0;
      const go = () => select(li, place, d.text);
      li.addEventListener("click", go);
      li.addEventListener("keydown", e => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); } });
      markAtSea(entry, d, place, go);
      integrity.push([entry, d, go]);
    }
    items.push({ li, t: ms(entry.at), index });
  });
  // Newest first; entries at the same instant keep the API's order reversed (latest last in).
  items.sort((a, b) => ((b.t ?? -Infinity) - (a.t ?? -Infinity)) || (b.index - a.index));
  for (const item of items) timelineEl.append(item.li);
  // An alert before the event it was raised on: the mark they share takes the alert's colour.
  integrity.sort((a, b) => Number(b[0].source === "alert") - Number(a[0].source === "alert"));
  for (const [entry, d, go] of integrity) markIntegrity(entry, d, go);
  applyFilter();
}

// Encounters and loitering are marked on the map once each (their start and end both publish).
const marked = new Set();
function markAtSea(entry, d, place, go) {
  if (!map || !place.point || d.group !== "sea" || entry.source === "alert") return;
  const r = obj(entry.record);
  const key = d.kind + "|" + str(r.started_at || entry.at) + "|" + str(r.other_mmsi);
  if (marked.has(key)) return;
  marked.add(key);
  L.circleMarker(place.point, { radius: 6, className: "sea-event " + d.kind })
    .bindTooltip(textNode(when(entry.at) + ": " + d.text))
    .on("click", go)
    .addTo(layers.events);
}

// Integrity findings are marked where they put the vessel, unlike every other mark: a square for
// an identity, a crossed circle for a false position; with the other side of a shared identity
// (dashed to it), the new identities of a swap, the jumps, and the scene's other detections.
// An alert and the event it was raised on are marked once.
function markIntegrity(entry, d, go) {
  const finding = integrityRecord(entry);
  if (!map || !finding) return;
  const places = integrityPlaces(finding, mmsi);
  const own = places.find(p => p.role === "self");
  if (!own) return;
  const key = "integrity|" + finding.kind + "|" + own.point.map(v => v.toFixed(4)).join(",");
  if (marked.has(key)) return;
  marked.add(key);
  const text = integrityText(finding, mmsi);
  for (const p of places) {
    if (p === own) continue;
    if (p.role === "other" && finding.kind === "identity_conflict") {
      L.polyline([own.point, p.point], { className: "integrity-link", dashArray: "4 6" })
        .bindTooltip(textNode(text), { sticky: true }).addTo(layers.events);
    }
    L.circleMarker(p.point, { radius: p.role === "jump" ? 4 : 5, className: "integrity-" + p.role })
      .bindTooltip(textNode(p.label)).addTo(layers.events);
  }
  const severity = entry.source === "alert" ? d.severity : "";
  glyphMarker(own.point, integrityMark(finding.kind, severity, INTEGRITY_R,
    when(entry.at) + ": " + text), integrityMarkSize(INTEGRITY_R))
    .on("click", go).addTo(layers.events);
}

function select(li, place, label) {
  for (const other of timelineEl.querySelectorAll("li.selected")) other.classList.remove("selected");
  li.classList.add("selected");
  if (li.offsetParent) li.scrollIntoView({ block: "nearest" });
  focusOn(place, label);
}

function applyFilter() {
  const want = filterSel.value;
  let shown = 0;
  for (const li of timelineEl.children) {
    li.hidden = want !== "" && li.dataset.group !== want;
    if (!li.hidden) shown += 1;
  }
  const empty = document.getElementById("timeline-empty");
  empty.hidden = shown > 0;
  empty.textContent = timelineEl.children.length === 0 ? "Nothing recorded in these days."
    : "Nothing of this kind in these days.";
}

function clearAll() {
  for (const id of ["identity", "identity-changes", "cargo", "exports", "timeline"]) {
    document.getElementById(id).replaceChildren();
  }
  document.getElementById("vessel-ids").textContent = "";
  if (layers.track) { layers.track.clearLayers(); layers.events.clearLayers(); layers.focus.clearLayers(); }
  fixes = [];
  marked.clear();
}

// ---------------------------------------------------------------- loading

async function load() {
  const seq = ++loadSeq;
  for (const b of document.querySelectorAll(".days button")) {
    b.setAttribute("aria-pressed", String(Number(b.dataset.days) === days));
  }
  if (!mmsi) {
    clearAll();
    document.getElementById("vessel-name").textContent = "no MMSI in this address";
    setStatus("not found", true);
    return;
  }
  setStatus("loading…");
  let reply;
  let data;
  try {
    reply = await fetch("/api/vessels/" + mmsi + "?days=" + days, { headers: { Accept: "application/json" } });
    data = reply.status === 404 || reply.ok ? await reply.json().catch(() => ({})) : null;
  } catch (e) {
    if (seq === loadSeq) setStatus("could not reach the server", true);
    return;
  }
  if (seq !== loadSeq) return; // a newer choice of days was made meanwhile
  if (reply.status === 404) {
    clearAll();
    document.getElementById("vessel-name").textContent = "no history for MMSI " + mmsi;
    document.title = "MMSI " + mmsi + " — shipwatch";
    setStatus("not found", true);
    applyFilter();
    return;
  }
  if (!reply.ok || !data || typeof data !== "object") {
    setStatus("could not load (HTTP " + reply.status + ")", true);
    return;
  }
  clearAll();
  renderHead(data);
  drawTrack(data.track);
  renderIdentity(data);
  renderCargo(data);
  renderExports(data);
  renderTimeline(data);
  fitView();
  const counts = arr(data.track).length + " fixes · " + arr(data.timeline).length + " entries";
  setStatus(counts);
}

function chooseDays(n) {
  if (!DAY_CHOICES.includes(n) || n === days) return;
  days = n;
  const url = new URL(location.href);
  url.searchParams.set("days", String(n));
  history.replaceState(null, "", url.pathname + url.search);
  load();
}

for (const b of document.querySelectorAll(".days button")) {
  b.addEventListener("click", () => chooseDays(Number(b.dataset.days)));
}
filterSel.addEventListener("change", applyFilter);

setUpMap();
// The fences first: an entry at a port is placed on its fence, and the view needs them when
// the vessel has no fix in these days.
placeFences().finally(load);
