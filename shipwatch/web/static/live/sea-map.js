// The at-sea findings on a map of their own, framed on them, and listed under it.
import { el, vesselHref, vesselLink } from "../dom.js";
import { obj, str } from "../format.js";
import { IN_A_COLUMN, L, addFences, baseMap, boxBounds, glyphMarker, loadFences } from "../map.js";
import { SEA_KINDS, SEA_LABEL, candidateLinks, seaDescription, seaMark, seaMarkSize, seaPosition }
  from "./findings.js";

const SEA_MIN_SPAN = 0.2; // degrees of latitude (about 22 km): a single finding still has a view
const SEA_PAD = 0.15; // of the findings' extent, on every side
const SEA_LIST_MAX = 200;
const MARK_R = 7; // px

const host = document.getElementById("sea");
const empty = document.getElementById("sea-empty");
let sea = null; // {figure, box, map, marks, caption, list, more, framed}

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

// Made when the first finding shows: Leaflet needs a visible box to know its size.
function setUp() {
  const figure = el("figure", "sea-map");
  const box = el("div", "sea-view");
  const caption = el("figcaption", "caption");
  const list = el("ol", "sea-list");
  const more = el("p", "more");
  figure.append(box, caption, list, more);
  host.append(figure);
  const map = baseMap(box, IN_A_COLUMN);
  if (map) loadFences().then(fences => addFences(map, fences));
  return { figure, box, map, marks: map ? L.layerGroup().addTo(map) : null, caption, list, more,
    framed: "" };
}

function listItem(a) {
  const d = seaDescription(a);
  const kind = str(a.kind);
  const li = el("li", "sea-item " + kind + (str(a.status) === "retracted" ? " retracted" : ""));
  li.dataset.alertId = str(a.alert_id);
  li.append(el("span", "sea-kind", SEA_LABEL[kind] || kind), document.createTextNode(" "),
    vesselLink(a.mmsi, "sea-vessels", d.vessels), el("span", "sea-when", " · " + d.when));
  if (d.extra.length) li.append(el("span", "sea-extra", " · " + d.extra.join(" · ")));
  if (kind === "dark_vessel") li.append(candidateLinks(obj(a.evidence)));
  return li;
}

// Draw the findings the list shows (at-sea alerts with a position), newest first.
export function drawSeaMap(shown) {
  empty.hidden = shown.length > 0;
  if (!shown.length) {
    if (sea) {
      sea.figure.hidden = true;
      if (sea.marks) sea.marks.clearLayers();
      sea.list.replaceChildren();
    }
    return;
  }
  if (!sea) {
    sea = setUp();
  } else if (sea.figure.hidden) {
    sea.figure.hidden = false;
    if (sea.map) sea.map.invalidateSize();
  }
  sea.box.setAttribute("aria-label", `At sea: ${shown.length} finding${shown.length === 1 ? "" : "s"}`);
  if (sea.map) {
    // Framed again when the findings change, not on every redraw: a viewer's zoom stays.
    const framed = shown.map(a => str(a.alert_id)).sort().join("\n");
    if (framed !== sea.framed) {
      sea.framed = framed;
      sea.map.fitBounds(boxBounds(seaView(shown.map(seaPosition))));
    }
    sea.marks.clearLayers();
    // Newest on top: Leaflet stacks markers by their height on screen unless offset more.
    shown.forEach((a, i) => {
      glyphMarker(seaPosition(a), seaMark(a, MARK_R), seaMarkSize(MARK_R), vesselHref(a.mmsi))
        .setZIndexOffset((shown.length - i) * 10000).addTo(sea.marks);
    });
  }
  const counts = {};
  for (const a of shown) counts[str(a.kind)] = (counts[str(a.kind)] || 0) + 1;
  sea.caption.replaceChildren(el("strong", "", "At sea"), document.createTextNode(" · " + SEA_KINDS
    .filter(k => counts[k]).map(k => `${counts[k]} ${SEA_LABEL[k]}`).join(" · ")));
  sea.list.replaceChildren(...shown.slice(0, SEA_LIST_MAX).map(listItem));
  sea.more.hidden = shown.length <= SEA_LIST_MAX;
  sea.more.textContent = `and ${shown.length - SEA_LIST_MAX} more`;
}
