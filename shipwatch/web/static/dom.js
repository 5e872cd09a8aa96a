// Elements every page builds: from text and attributes only, never from HTML, since what they
// show may come from a feed anyone could write to.
import { str } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";

export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

export function svgEl(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

// Leaflet sets a string tooltip as HTML: ours are always an element.
export function textNode(text) { return el("span", "", text); }

// The vessel page's address, or null for anything that is not an MMSI.
export function vesselHref(mmsi) {
  const m = str(mmsi);
  return /^[0-9]{1,9}$/.test(m) ? "/vessels/" + m : null;
}

// A link to the vessel's page (a plain span when there is no MMSI).
export function vesselLink(mmsi, cls, text) {
  const href = vesselHref(mmsi);
  const e = el(href ? "a" : "span", cls, text);
  if (href) e.setAttribute("href", href);
  return e;
}
