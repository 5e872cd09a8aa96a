"use strict";
// The live alerts page. Every value comes from a feed anyone could write to: it is set with
// textContent, setAttribute or new Option only, never parsed as HTML.

const ACK_KEY = "shipwatch.acked";
const ACK_KEEP = 2000;
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
let fences = [];
let lastVessels = [];

function loadAcked() {
  try {
    const ids = JSON.parse(localStorage.getItem(ACK_KEY) || "[]");
    return new Set(Array.isArray(ids) ? ids.map(String) : []);
  } catch (e) {
    return new Set();
  }
}
const acked = loadAcked();
function saveAcked() {
  try {
    localStorage.setItem(ACK_KEY, JSON.stringify([...acked].slice(-ACK_KEEP)));
  } catch (e) { /* private mode or full: acknowledging still works until reload */ }
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function str(v) { return v === undefined || v === null ? "" : String(v); }
function obj(v) { return v && typeof v === "object" && !Array.isArray(v) ? v : {}; }
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

function vesselLine(a) {
  const v = (a.vessel && typeof a.vessel === "object") ? a.vessel : {};
  const ev = (a.evidence && typeof a.evidence === "object") ? a.evidence : {};
  const line = el("div", "vessel");
  const named = str(v.name || ev.name);
  line.append(el("span", "name", named || (hasMmsi(a.mmsi) ? "unnamed vessel" : "unidentified vessel")));
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
  const ack = el("button", "ack", "acknowledge");
  ack.type = "button";
  ack.addEventListener("click", () => toggleAck(li));
  top.append(el("span", "sev", str(a.severity)), el("span", "title", str(a.title) || str(a.kind)), ack);
  li.append(top, vesselLine(a));
  const where = [];
  if (a.route) where.push("route " + str(a.route));
  if (a.port) where.push("port " + str(a.port));
  where.push(str(a.kind));
  where.push("at " + shortTime(a.at));
  if (a.published_at) where.push("published " + shortTime(a.published_at));
  li.append(el("div", "meta", where.join(" · ")), evidenceList(a.evidence));
  return li;
}

function toggleAck(li) {
  const id = li.dataset.alertId;
  if (acked.has(id)) acked.delete(id); else acked.add(id);
  saveAcked();
  refilter();
}

function refilter() {
  let shown = 0;
  let ackedCount = 0;
  for (const li of cards.values()) {
    const isAcked = acked.has(li.dataset.alertId);
    if (isAcked) ackedCount += 1;
    li.classList.toggle("acked", isAcked);
    li.querySelector("button.ack").textContent = isAcked ? "unacknowledge" : "acknowledge";
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

// ---------------------------------------------------------------- map (inline SVG, no tiles)

function svg(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

function projector(view) {
  const [minx, miny, maxx, maxy] = view;
  const k = Math.cos(((miny + maxy) / 2) * Math.PI / 180);
  const scale = 1000;
  return {
    width: (maxx - minx) * k * scale,
    height: (maxy - miny) * scale,
    xy: (lon, lat) => [((lon - minx) * k * scale).toFixed(1), ((maxy - lat) * scale).toFixed(1)],
    contains: (lon, lat) => lon >= minx && lon <= maxx && lat >= miny && lat <= maxy,
  };
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
      if (alertedMmsi.has(str(v.mmsi))) g.append(svg("circle", { cx: x, cy: y, r: r * 1.9, class: "ring" }));
      const dot = svg("circle", { cx: x, cy: y, r, class: "vessel-dot " + state });
      const tip = svg("title");
      const name = v.vessel && v.vessel.name ? str(v.vessel.name) + " · " : "";
      tip.textContent = `${name}MMSI ${mmsiText(v.mmsi)} · ${state} · ${str(v.sog)} kn · ${shortTime(v.ts)}`;
      dot.append(tip);
      g.append(dot);
      map.append(g);
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
        ul.append(el("li", "", `${name} (MMSI ${mmsiText(v.mmsi)})`));
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
  const r = Math.max(p.width, p.height) * 0.022;
  for (const a of [...shown].reverse()) map.append(seaMarker(a, p, r)); // newest drawn on top
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
      el("span", "sea-vessels", d.vessels), el("span", "sea-when", " · " + d.when));
    if (d.extra.length) li.append(el("span", "sea-extra", " · " + d.extra.join(" · ")));
    if (kind === "dark_vessel") li.append(el("div", "candidates", candidatesText(obj(a.evidence))));
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

fetch("api/geofences").then(r => r.json()).then(g => {
  fences = Array.isArray(g.features) ? g.features : [];
  return refreshMap();
}).finally(() => setInterval(refreshMap, MAP_REFRESH_MS));
refilter();
catchUp().catch(() => {}).finally(connect);
