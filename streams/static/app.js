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
let fences = [];

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
function shortTime(iso) {
  const s = str(iso);
  return s ? s.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC") : "";
}

function vesselLine(a) {
  const v = (a.vessel && typeof a.vessel === "object") ? a.vessel : {};
  const ev = (a.evidence && typeof a.evidence === "object") ? a.evidence : {};
  const line = el("div", "vessel");
  line.append(el("span", "name", str(v.name || ev.name) || "unnamed vessel"));
  const parts = ["MMSI " + str(a.mmsi)];
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
    }
    return;
  }
  const li = render(a);
  if (str(a.status) === "retracted") li.classList.add("retracted");
  cards.set(id, li);
  if (a.mmsi !== undefined) alertedMmsi.add(str(a.mmsi));
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
      tip.textContent = `${name}MMSI ${str(v.mmsi)} · ${state} · ${str(v.sog)} kn · ${shortTime(v.ts)}`;
      dot.append(tip);
      g.append(dot);
      map.append(g);
    }
    const caption = el("figcaption", "caption");
    caption.append(el("strong", "", str(props.name)),
      document.createTextNode(` · ${inside.length} inside · ${here.length} around`));
    box.append(map, caption);
    if (inside.length) {
      const ul = el("ul");
      for (const v of inside.slice(0, 8)) {
        const name = v.vessel && v.vessel.name ? str(v.vessel.name) : "unnamed";
        ul.append(el("li", "", `${name} (MMSI ${str(v.mmsi)})`));
      }
      box.append(ul);
    }
    host.append(box);
  }
}

function refreshMap() {
  return fetch("api/vessels").then(r => r.json()).then(v => drawMaps(Array.isArray(v) ? v : []))
    .catch(() => { /* the next refresh tries again */ });
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
