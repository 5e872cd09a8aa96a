// Identities and positions that lie (docs/detection.md, "Integrity"): the words for each finding,
// where it happened and the mark it gets on a map, for the vessel page and the live page alike.
// A finding is an event record (`detect --events`) or an alert's evidence read as one
// (asRecord); every field is read defensively and only ever becomes text.
import { svgEl } from "./dom.js";
import { arr, latLon, num, obj, severityOf, str } from "./format.js";

// The alert kinds, and the events (gnss_interference is an event only, never an alert).
export const INTEGRITY_KINDS = ["identity_conflict", "invalid_identity", "identity_swap",
  "position_tampering"];
export const INTEGRITY_EVENTS = [...INTEGRITY_KINDS, "gnss_interference"];
export const INTEGRITY_LABEL = {
  identity_conflict: "shared identity",
  invalid_identity: "invalid identity",
  identity_swap: "identity swap",
  position_tampering: "false position",
  gnss_interference: "GNSS interference",
};

export function isIntegrity(kind) { return INTEGRITY_EVENTS.includes(str(kind)); }

// An alert as the event it was raised on: its evidence, with the alert's kind and vessel.
export function asRecord(alert) {
  const a = obj(alert);
  return { ...obj(a.evidence), kind: a.kind, mmsi: a.mmsi, port: obj(a.evidence).port ?? a.port };
}

// ---------------------------------------------------------------- numbers as words

function grouped(n) { return n.toLocaleString("en-US"); }

// "0.6 km", "2.4 km", "35 km", "1,234 km"; "" for no number.
export function kmText(v) {
  const n = num(v);
  if (n === null) return "";
  return (Math.abs(n) < 10 ? n.toFixed(1) : grouped(Math.round(n))) + " km";
}

// "40 min", "2 h", "2.5 h", "30 h", "3 d 4 h"; "" for no number.
export function hoursText(v) {
  const h = num(v);
  if (h === null) return "";
  if (h < 1) return Math.round(h * 60) + " min";
  if (h < 10) return Math.round(h * 10) / 10 + " h";
  if (h < 48) return Math.round(h) + " h";
  return Math.floor(h / 24) + " d " + Math.round(h % 24) + " h";
}

// The seventh digit an IMO number's first six give (weights 7 to 2, the sum's last digit), or
// null when it is not seven digits.
export function imoCheckDigit(imo) {
  const s = str(imo).trim();
  if (!/^[0-9]{7}$/.test(s)) return null;
  let sum = 0;
  for (let i = 0; i < 6; i++) sum += Number(s[i]) * (7 - i);
  return sum % 10;
}

function mmsiOf(v) { return /^[0-9]{1,9}$/.test(str(v)) ? str(v) : ""; }
function named(mmsi, name) {
  const m = mmsiOf(mmsi);
  const n = str(name).trim();
  if (!m) return n || "another vessel";
  return n ? m + " (" + n + ")" : m;
}
function list(values, max = 3) {
  const shown = values.slice(0, max).join(", ");
  return values.length > max ? shown + " and " + (values.length - max) + " more" : shown;
}
function dateOf(v) { return str(v).slice(0, 10); }

// The country digits of an MMSI at their place for its kind of station (ITU-R M.585, as
// shipwatch/integrity/identifiers.py reads them): after 00 (coast stations), 0 (groups), 111
// (SAR aircraft), 98 and 99 (craft with a ship, aids to navigation), 8 (handhelds); first for a
// ship (2 to 7); "" where the layout has none (other 1s, 9s, the distress devices 97x).
export function midOf(mmsi) {
  const m = mmsiOf(mmsi).padStart(9, "0");
  if (!/^[0-9]{9}$/.test(m)) return "";
  for (const [prefix, at] of [["00", 2], ["0", 1], ["111", 3], ["98", 2], ["99", 2], ["8", 1]]) {
    if (m.startsWith(prefix)) return m.slice(at, at + 3);
  }
  return "234567".includes(m[0]) ? m.slice(0, 3) : "";
}

// ---------------------------------------------------------------- what a finding says

// The words for a finding, as seen from the page of `self` (an MMSI, or "" on the live page):
// an identity conflict names the other vessel of the pair, whichever side the page is.
export function integrityText(record, self) {
  const r = obj(record);
  const kind = str(r.kind);
  const me = str(self);
  switch (kind) {
    case "identity_conflict": {
      const flipped = me !== "" && me === str(r.other_mmsi);
      const other = flipped ? named(r.mmsi, r.name) : named(r.other_mmsi, r.other_name);
      const what = str(r.by) === "name"
        ? "name " + (str(r.name) || str(r.other_name) || "?") + " and size"
        : "IMO " + (str(r.imo) || "?");
      const facts = [];
      const apart = kmText(r.distance_km);
      if (apart) facts.push(apart + " apart" + (hoursText(r.hours_apart) ? " in " + hoursText(r.hours_apart) : ""));
      if (num(r.implied_kn) !== null) facts.push(grouped(Math.round(num(r.implied_kn))) + " kn needed");
      const port = flipped ? r.other_port : r.port;
      return "Shares " + what + " with " + other + (facts.length ? ": " + facts.join(", ") : "")
        + (port ? "; near " + str(port) : "");
    }
    case "invalid_identity": {
      const reason = str(r.reason);
      if (reason === "imo_check_digit") {
        const want = imoCheckDigit(r.imo);
        const has = str(r.imo).slice(-1);
        return "IMO " + (str(r.imo) || "?") + " fails its check digit"
          + (want !== null && has !== String(want) ? " (its first six digits give " + want + ", not " + has + ")" : "");
      }
      if (reason === "mid") {
        const mid = str(r.mid) || midOf(r.mmsi);
        return "MMSI " + (mmsiOf(r.mmsi) || "?") + " names no country" + (mid ? " (MID " + mid + ")" : "");
      }
      if (reason === "zombie") {
        const s = obj(r.status);
        return "Uses IMO " + (str(r.imo) || "?") + " of a ship " + (str(s.status) || "struck off")
          + (s.date ? " on " + dateOf(s.date) : "") + (s.source ? " (" + str(s.source) + ")" : "");
      }
      return "Invalid identity" + (reason ? " (" + reason + ")" : "");
    }
    case "identity_swap": {
      const details = arr(r.candidate_details).map(obj);
      const km = new Map(details.map(d => [str(d.mmsi), num(d.distance_km)]));
      const candidates = arr(r.candidates).map(mmsiOf).filter(Boolean);
      if (me !== "" && candidates.includes(me) && me !== str(r.mmsi)) {
        const d = km.get(me);
        return "New identity, possibly " + named(r.mmsi, r.name) + ", silent since "
          + str(r.silent_since).replace("T", " ").slice(0, 16)
          + (d !== null && d !== undefined ? " and last seen " + kmText(d) + " away" : "");
      }
      const first = candidates.length ? km.get(candidates[0]) : null;
      return "Went silent at sea; " + (candidates.length > 1 ? candidates.length + " new identities"
        : "a new identity") + " of its type and size appeared"
        + (first !== null && first !== undefined ? " " + kmText(first) + " from its last fix" : "")
        + (candidates.length ? ": " + list(candidates) : "");
    }
    case "position_tampering": {
      const reason = str(r.reason);
      if (reason === "on_land") {
        const inland = num(r.inland_m);
        return "Position on land (" + (num(r.fixes) ?? "several") + " fixes"
          + (inland !== null ? ", " + kmText(inland / 1000) + " inland" : "") + ")";
      }
      if (reason === "jumps") {
        const jumps = arr(r.jumps).map(obj);
        const longest = Math.max(...jumps.map(j => num(j.jump_km) ?? 0), 0);
        return (jumps.length || "Repeated") + " impossible jumps"
          + (hoursText(r.window_h) ? " in " + hoursText(r.window_h) : "")
          + (longest > 0 ? " (up to " + kmText(longest) + ")" : "");
      }
      if (reason === "not_in_imagery") {
        const elsewhere = arr(r.sightings_elsewhere).map(obj);
        const nearest = Math.min(...elsewhere.map(s => num(s.distance_km) ?? Infinity));
        const inside = num(r.inside_m);
        return "Not in satellite scene " + (str(r.scene_id) || "?")
          + (r.scene_source ? " (" + str(r.scene_source) + ")" : "")
          + ": no ship seen at its AIS position"
          + (inside !== null ? ", " + kmText(inside / 1000) + " inside the scene" : "")
          + (elsewhere.length ? "; " + elsewhere.length + " unidentified ship"
            + (elsewhere.length === 1 ? "" : "s") + " seen elsewhere in it"
            + (Number.isFinite(nearest) ? ", the nearest " + kmText(nearest) + " away" : "") : "");
      }
      return "Position tampering" + (reason ? " (" + reason + ")" : "");
    }
    case "gnss_interference": {
      const others = arr(r.vessels).map(mmsiOf).filter(m => m && m !== me && m !== str(r.mmsi));
      return "Jumped together with " + (others.length ? others.length + " other vessel"
        + (others.length === 1 ? "" : "s") + " nearby (" + list(others) + ")" : "other vessels nearby")
        + ": likely GNSS interference, not the ship (no alert)";
    }
    default:
      return kind.replace(/_/g, " ");
  }
}

// ---------------------------------------------------------------- where a finding is

function point(lat, lon) { return latLon(lat, lon); }
function at(v) { const o = obj(v); return point(o.lat, o.lon); }

// Every position a finding names, its own first: {point: [lat, lon], role, label}; role is
// "self" (the vessel's own reported position), "other" (another vessel's, or a detection's) or
// "jump" (a position the track jumped to).
export function integrityPlaces(record, self) {
  const r = obj(record);
  const kind = str(r.kind);
  const me = str(self);
  const places = [];
  const add = (p, role, label) => { if (p) places.push({ point: p, role, label }); };
  if (kind === "identity_conflict") {
    const flipped = me !== "" && me === str(r.other_mmsi);
    const [mine, theirs] = flipped ? [r.other_fix, r.fix] : [r.fix, r.other_fix];
    const other = flipped ? named(r.mmsi, r.name) : named(r.other_mmsi, r.other_name);
    add(at(mine) || point(r.lat, r.lon), "self", "this vessel " + str(obj(mine).at).replace("T", " ").slice(0, 16));
    add(at(theirs), "other", other + " " + str(obj(theirs).at).replace("T", " ").slice(0, 16));
  } else if (kind === "identity_swap") {
    add(point(r.last_lat, r.last_lon) || point(r.lat, r.lon), "self", "last fix before going silent");
    for (const d of arr(r.candidate_details).map(obj)) {
      add(point(d.lat, d.lon), "other", "new identity " + named(d.mmsi) + " first seen here");
    }
  } else {
    add(point(r.lat, r.lon), "self", INTEGRITY_LABEL[kind] || kind);
    for (const j of arr(r.jumps).map(obj)) {
      add(point(j.lat, j.lon), "jump", "jump of " + kmText(j.jump_km));
    }
    for (const s of arr(r.sightings_elsewhere).map(obj)) {
      add(point(s.lat, s.lon), "other", "unidentified ship seen by the scene, " + kmText(s.distance_km) + " away");
    }
  }
  // A record with its place elsewhere than where this kind keeps it still has one.
  if (!places.length) add(point(r.lat, r.lon) || at(r.fix) || point(r.last_lat, r.last_lon), "self", kind);
  return places;
}

// [lat, lon] where a finding is marked, or null.
export function integrityPosition(record, self) {
  const places = integrityPlaces(record, self);
  const own = places.find(p => p.role === "self") || places[0];
  return own ? own.point : null;
}

// The other MMSIs a finding names (to link to their pages).
export function otherVessels(record, self) {
  const r = obj(record);
  const me = str(self) || str(r.mmsi);
  const found = [r.mmsi, r.other_mmsi, ...arr(r.candidates), ...arr(r.vessels)].map(mmsiOf)
    .filter(m => m && m !== me);
  return [...new Set(found)];
}

// ---------------------------------------------------------------- its mark on a map

// Pixels a mark needs around its position, for a radius r.
export function integrityMarkSize(r) { return Math.ceil(3 * r) + 4; }

// A finding's mark, centred on 0,0, unlike every at-sea mark: identities are square (two
// overlapping for a shared one, a slashed one for an invalid one, one with an arrow to a new
// one for a swap), a false position is a crossed circle, GNSS interference a dashed ring. Its
// <title> is the tooltip.
export function integrityMark(kind, severity, r, title, extraClass) {
  const k = str(kind);
  const g = svgEl("g", { class: "integrity-mark " + (INTEGRITY_EVENTS.includes(k) ? k : "other")
    + " " + severityOf(severity) + (extraClass ? " " + extraClass : ""), "data-kind": k });
  if (title) {
    const tip = svgEl("title");
    tip.textContent = title;
    g.append(tip);
  }
  const s = (r * 1.1).toFixed(1);
  const box = (dx, dy, cls) => svgEl("rect", { x: (dx - s).toFixed(1), y: (dy - s).toFixed(1),
    width: (2 * s).toFixed(1), height: (2 * s).toFixed(1), class: cls });
  if (k === "identity_conflict") {
    const d = r * 0.45;
    g.append(box(-d, -d, "box"), box(d, d, "box other"));
  } else if (k === "identity_swap") {
    g.append(box(0, 0, "box"), svgEl("path", { d: `M${-r} ${r * 0.2}H${r * 0.6}M${r * 0.15} ${-r * 0.3}L${r * 0.6} ${r * 0.2}L${r * 0.15} ${r * 0.7}`,
      class: "arrow" }));
  } else if (k === "invalid_identity") {
    g.append(box(0, 0, "box"), svgEl("line", { x1: -s, y1: s, x2: s, y2: -s, class: "slash" }));
  } else if (k === "gnss_interference") {
    // Not the ship's doing: a dashed ring around a dot, never the crossed circle.
    g.append(svgEl("circle", { cx: 0, cy: 0, r: r * 1.05, class: "ring jam" }),
      svgEl("circle", { cx: 0, cy: 0, r: r * 0.3, class: "dot" }));
  } else {
    const d = (r * 0.75).toFixed(1);
    g.append(svgEl("circle", { cx: 0, cy: 0, r: r * 1.05, class: "ring" }),
      svgEl("path", { d: `M-${d} -${d}L${d} ${d}M${d} -${d}L-${d} ${d}`, class: "cross" }));
  }
  return g;
}
