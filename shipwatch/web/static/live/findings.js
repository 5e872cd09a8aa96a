// At-sea findings (ship-to-ship encounters, loitering, dark vessels) and integrity findings
// (identities and positions that lie): where they are, the words for them and the mark each kind
// gets on a map.
import { el, svgEl, vesselLink } from "../dom.js";
import { hasMmsi, latLon, num, obj, severityOf, shortTime, str } from "../format.js";
import { INTEGRITY_KINDS, INTEGRITY_LABEL, asRecord, integrityMark, integrityMarkSize,
  integrityPosition, integrityText, otherVessels } from "../integrity.js";

export const SEA_KINDS = ["sts_encounter", "loitering", "dark_vessel"];
export const SEA_LABEL = { sts_encounter: "ship-to-ship encounter", loitering: "loitering",
  dark_vessel: "dark vessel" };

// [lat, lon] of an at-sea alert, or null: not an at-sea kind or no usable position.
export function seaPosition(a) {
  if (!a || !SEA_KINDS.includes(str(a.kind))) return null;
  const ev = obj(a.evidence);
  return latLon(ev.lat, ev.lon);
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
export function seaDescription(a) {
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
export function candidateLinks(ev) {
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
    lines.push(candidatesText(ev));
    for (const c of darkCandidates(ev)) {
      if (c.km !== null && c.km !== undefined) lines.push(`  ${c.mmsi}: last seen ${c.km} km away`);
    }
  }
  if (str(a.status) === "retracted") lines.push("retracted");
  return lines.join("\n");
}

// Pixels a finding's mark needs around its position (see seaMark), for a radius r.
export function seaMarkSize(r) { return Math.ceil(4 * r) + 2; }

// A finding's mark, centred on 0,0: two linked dots for an encounter, a circle for loitering,
// a hollow diamond for a dark vessel. Its <title> is the tooltip.
export function seaMark(a, r) {
  const kind = str(a.kind);
  const g = svgEl("g", { class: `sea-mark ${kind} ${severityOf(a.severity)}`
    + (str(a.status) === "retracted" ? " retracted" : ""),
  "data-alert-id": str(a.alert_id), "data-kind": kind });
  const tip = svgEl("title");
  tip.textContent = seaTooltip(a);
  g.append(tip);
  if (kind === "sts_encounter") {
    const dx = (r * 1.1).toFixed(1);
    g.append(svgEl("line", { x1: -dx, y1: 0, x2: dx, y2: 0, class: "link" }),
      svgEl("circle", { cx: -dx, cy: 0, r: r * 0.8, class: "dot" }),
      svgEl("circle", { cx: dx, cy: 0, r: r * 0.8, class: "dot other" }));
  } else if (kind === "loitering") {
    g.append(svgEl("circle", { cx: 0, cy: 0, r, class: "dot" }));
  } else {
    const d = (r * 1.3).toFixed(1);
    g.append(svgEl("path", { d: `M0 -${d}L${d} 0L0 ${d}L-${d} 0Z`, class: "diamond" }));
  }
  return g;
}

// ---------------------------------------------------------------- integrity findings

export { INTEGRITY_KINDS, INTEGRITY_LABEL };

// [lat, lon] of an integrity alert (its evidence's own position), or null.
export function integrityAlertPosition(a) {
  if (!a || !INTEGRITY_KINDS.includes(str(a.kind))) return null;
  return integrityPosition(asRecord(a), "");
}

// [lat, lon] of any finding a map shows, at sea or of integrity, or null.
export function findingPosition(a) { return seaPosition(a) || integrityAlertPosition(a); }

export function integrityDescription(a) {
  const v = obj(a.vessel);
  const ev = obj(a.evidence);
  const extra = [integrityText(asRecord(a), "")];
  if (a.port) extra.push("port " + str(a.port));
  return { vessels: vesselName(v.name || ev.name, a.mmsi), when: shortTime(a.at), extra };
}

// The other vessels an integrity alert names (the other side of a shared identity, the new
// identities of a swap), each a link to its page.
export function otherLinks(a) {
  const others = otherVessels(asRecord(a), str(a.mmsi));
  const label = str(a.kind) === "identity_swap" ? "candidates: " : "with: ";
  const box = el("div", "candidates", label + (others.length ? "" : "none"));
  others.forEach((m, i) => {
    if (i) box.append(document.createTextNode(", "));
    box.append(vesselLink(m, "", m));
  });
  return box;
}

function integrityTooltip(a) {
  const d = integrityDescription(a);
  const lines = [(INTEGRITY_LABEL[str(a.kind)] || str(a.kind)) + " · " + str(a.severity),
    d.vessels, d.when, ...d.extra];
  if (str(a.status) === "retracted") lines.push("retracted");
  return lines.join("\n");
}

export function integrityAlertMark(a, r) {
  const g = integrityMark(a.kind, a.severity, r, integrityTooltip(a),
    str(a.status) === "retracted" ? "retracted" : "");
  g.setAttribute("data-alert-id", str(a.alert_id));
  return g;
}
export { integrityMarkSize };
