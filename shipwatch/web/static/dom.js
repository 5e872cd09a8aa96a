"use strict";
// Small helpers every page's script uses (loaded first): elements are built with text only,
// never from HTML, and values from the feeds are read defensively.

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function str(v) { return v === undefined || v === null ? "" : String(v); }
function obj(v) { return v && typeof v === "object" && !Array.isArray(v) ? v : {}; }
function arr(v) { return Array.isArray(v) ? v : []; }
