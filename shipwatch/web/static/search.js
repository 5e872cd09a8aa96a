// The search page: /search?q=TEXT lists the vessels /api/search finds, each linking to its
// page. Always a list, even for one exact hit, so that the address stays a shareable search.
// Names and call signs are whatever vessels transmit: set with textContent only.
import { el, vesselLink } from "./dom.js";
import { flagText, obj, str, when } from "./format.js";

const summary = document.getElementById("summary");
const statusEl = document.getElementById("status");
const table = document.getElementById("results");
const rows = document.getElementById("result-rows");

function row(result) {
  const r = obj(result);
  const mmsi = str(r.mmsi);
  const tr = el("tr");
  tr.dataset.mmsi = mmsi;
  const name = el("td", "name");
  name.append(vesselLink(mmsi, "", str(r.name) || "unnamed vessel"));
  tr.append(name, el("td", "mono", mmsi), el("td", "wide mono", str(r.imo) || "—"),
    el("td", "wide", str(r.callsign) || "—"), el("td", "", flagText(r.flag) || "—"),
    el("td", "wide", r.last_seen ? when(r.last_seen) : "—"));
  return tr;
}

async function search() {
  const q = (new URLSearchParams(location.search).get("q") || "").trim();
  if (!q) return; // the page's heading already says what to type
  document.title = q + " — shipwatch search";
  summary.textContent = "Vessels matching “" + q + "”";
  statusEl.textContent = "searching…";
  let reply;
  let data;
  try {
    reply = await fetch("/api/search?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } });
    data = reply.ok ? await reply.json() : null;
  } catch (e) {
    statusEl.textContent = "could not reach the server";
    return;
  }
  if (!reply.ok || !data || typeof data !== "object") {
    statusEl.textContent = "the search failed (HTTP " + reply.status + ")";
    return;
  }
  const results = Array.isArray(data.results) ? data.results : [];
  rows.replaceChildren(...results.map(row));
  table.hidden = results.length === 0;
  statusEl.textContent = results.length === 0 ? "no vessel matches"
    : results.length === 1 ? "1 vessel" : results.length + " vessels";
}

search();
