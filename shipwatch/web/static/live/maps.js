// What the live page's maps show and when they are drawn again: the ports with the vessels
// around them (/api/vessels, every few seconds), and the at-sea and integrity findings the list
// shows.
import { hasMmsi, str } from "../format.js";
import { loadFences } from "../map.js";
import { isShown, onAlert, onRefilter, sortKey } from "./alerts.js";
import { integrityAlertPosition, seaPosition } from "./findings.js";
import { drawPortMaps, setUpPortMaps } from "./port-maps.js";
import { drawIntegrityMap, drawSeaMap } from "./sea-map.js";

const VESSELS_REFRESH_MS = 5000;

const atSea = new Map(); // alert id -> at-sea alert with a position
const integrity = new Map(); // alert id -> integrity alert with a position
const alerted = new Set(); // MMSIs with an alert: ringed on the port maps
let vessels = []; // the last answer of /api/vessels
let portsReady = false;

function shownOf(found) {
  return [...found.values()].filter(a => isShown(str(a.alert_id)))
    .sort((x, y) => sortKey(y).localeCompare(sortKey(x))); // newest first, like the list
}
function shownAtSea() { return shownOf(atSea); }

// Whether a port map shows any of them: dark vessels and integrity findings are on both.
function onPortMaps() {
  return integrity.size > 0 || [...atSea.values()].some(a => str(a.kind) === "dark_vessel");
}

function drawPorts() {
  if (portsReady) {
    drawPortMaps(vessels, alerted, shownAtSea().filter(a => str(a.kind) === "dark_vessel"),
      shownOf(integrity));
  }
}

// Many alerts arrive at once on a catch-up: draw once after them, not once per alert. The port
// maps are drawn again only when a dark vessel or an integrity finding (shown on them too) may
// have changed.
let seaPending = false;
let portsPending = false;
function schedule(ports) {
  portsPending ||= ports;
  if (seaPending) return;
  seaPending = true;
  setTimeout(() => {
    seaPending = false;
    drawSeaMap(shownAtSea());
    drawIntegrityMap(shownOf(integrity));
    if (portsPending) { portsPending = false; drawPorts(); }
  }, 0);
}

function refreshVessels() {
  return fetch("/api/vessels").then(r => r.json()).then(v => {
    vessels = Array.isArray(v) ? v : [];
    drawPorts();
  }).catch(() => { /* the next refresh tries again */ });
}

onAlert((a, first) => {
  const id = str(a.alert_id);
  if (!first) {
    const known = atSea.get(id) || integrity.get(id);
    if (known) (atSea.has(id) ? atSea : integrity).set(id, { ...known, status: "retracted" });
    schedule(!!known && (str(known.kind) === "dark_vessel" || integrity.has(id)));
    return;
  }
  if (hasMmsi(a.mmsi)) alerted.add(str(a.mmsi));
  if (seaPosition(a)) {
    atSea.set(id, a);
    if (str(a.kind) === "dark_vessel") schedule(true);
  } else if (integrityAlertPosition(a)) {
    integrity.set(id, a);
    schedule(true);
  }
});
onRefilter(() => schedule(onPortMaps()));

export function startMaps() {
  loadFences().then(fences => {
    setUpPortMaps(fences);
    portsReady = true;
    return refreshVessels();
  }).finally(() => setInterval(refreshVessels, VESSELS_REFRESH_MS));
}
