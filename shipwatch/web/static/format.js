// Values as every page reads and words them. Any of them may come from a feed anyone could
// write to: they are read defensively and only ever become text, never HTML.

export function str(v) { return v === undefined || v === null ? "" : String(v); }
export function obj(v) { return v && typeof v === "object" && !Array.isArray(v) ? v : {}; }
export function arr(v) { return Array.isArray(v) ? v : []; }

// A number, or null: JSON numbers and numeric strings only, never NaN or ±Infinity.
export function num(v) {
  const n = typeof v === "number" ? v : (typeof v === "string" && v.trim() !== "" ? Number(v) : NaN);
  return Number.isFinite(n) ? n : null;
}

// [lat, lon], or null for anything that is not a point on the globe.
export function latLon(lat, lon) {
  const a = num(lat); const b = num(lon);
  return a !== null && b !== null && Math.abs(a) <= 90 && Math.abs(b) <= 180 ? [a, b] : null;
}

export function ms(iso) { const t = Date.parse(str(iso)); return Number.isFinite(t) ? t : null; }

// "2024-03-09 12:03 UTC": the vessel and search pages' times, to the minute.
export function when(iso) {
  const t = ms(iso);
  if (t === null) return str(iso);
  return new Date(t).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

// "2024-03-09 12:00:00 UTC": the live page's times, to the second as published.
export function shortTime(iso) {
  const s = str(iso);
  return s ? s.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC") : "";
}

// A dark vessel's alert has no MMSI (null): never show "MMSI " followed by nothing.
export function hasMmsi(v) { return str(v) !== ""; }
export function mmsiText(v) { return hasMmsi(v) ? str(v) : "—"; }

// "KP North Korea", or "MID 445" when only the MMSI's country digits are known; "" for nothing.
export function flagText(flag) {
  const f = obj(flag);
  if (f.code || f.country) return [str(f.code), str(f.country)].filter(Boolean).join(" ");
  return f.mid ? "MID " + str(f.mid) : "";
}

// The severity as a class name: one of ours, never whatever a feed wrote.
export function severityOf(v) { return ["critical", "warning", "info"].includes(v) ? v : "unknown"; }

// One evidence value: nested values as JSON, nothing as a dash.
export function evidenceText(value) {
  if (value === null || value === "") return "—";
  return typeof value === "object" ? JSON.stringify(value) : str(value);
}
