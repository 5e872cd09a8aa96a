// The live page's feeds: the alerts (/api/alerts, then each new one from /api/stream), the
// team's triage (/api/triage, then each change from /api/triage/stream) and who the page acts as.
import { obj } from "../format.js";
import { addAlert } from "./alerts.js";
import { applyState, setUser } from "./triage.js";

const statusEl = document.getElementById("status");

function catchUp() {
  return fetch("/api/alerts").then(r => r.json()).then(all => {
    if (Array.isArray(all)) for (const a of all) addAlert(a);
  });
}

function whoAmI() {
  return fetch("/api/whoami").then(r => (r.ok ? r.json() : { user: null, can_write: false }))
    .catch(() => ({ user: null, can_write: false }))
    .then(setUser);
}

function catchUpTriage() {
  return fetch("/api/triage").then(r => (r.ok ? r.json() : {})).then(all => {
    for (const s of Object.values(obj(all))) applyState(s);
  }).catch(() => { /* the stream's next open tries again */ });
}

// Every worker reads the whole triage topic: this stream carries each change, from any page.
function connectTriage() {
  const es = new EventSource("/api/triage/stream");
  es.onopen = () => { catchUpTriage(); };
  es.addEventListener("triage", m => {
    try { applyState(JSON.parse(m.data)); } catch (e) { /* not JSON: skip it */ }
  });
}

function connectAlerts() {
  const es = new EventSource("/api/stream");
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
    try { addAlert(JSON.parse(m.data)); } catch (e) { /* not JSON: skip it */ }
  };
}

// Who first (the cards' buttons depend on it), then what was published, then the live streams.
export function startFeeds() {
  whoAmI().finally(() => {
    catchUp().catch(() => {}).finally(() => { connectAlerts(); connectTriage(); });
  });
}
