// The findings away from the ports' maps, each set on a map of its own, framed on them, and
// listed under it: the at-sea findings, and the integrity findings (identities and positions
// that lie).
import { el, vesselHref, vesselLink } from "../dom.js";
import { obj, str } from "../format.js";
import { IN_A_COLUMN, L, addFences, baseMap, boxBounds, glyphMarker, loadFences } from "../map.js";
import { INTEGRITY_KINDS, INTEGRITY_LABEL, SEA_KINDS, SEA_LABEL, candidateLinks,
  integrityAlertMark, integrityAlertPosition, integrityDescription, integrityMarkSize, otherLinks,
  seaDescription, seaMark, seaMarkSize, seaPosition } from "./findings.js";

const SEA_MIN_SPAN = 0.2; // degrees of latitude (about 22 km): a single finding still has a view
const SEA_PAD = 0.15; // of the findings' extent, on every side
const SEA_LIST_MAX = 200;
const MARK_R = 7; // px

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

// A map of findings in the element `hostId`, with `emptyId` shown while there are none:
// `title` captions it, `kinds` and `labels` count them, and `position`, `describe`, `mark`,
// `markSize` and `links` say where each is, the words for it, its mark and the vessels it names.
function findingsMap({ hostId, emptyId, title, kinds, labels, position, describe, mark, markSize,
  links }) {
  const host = document.getElementById(hostId);
  const empty = document.getElementById(emptyId);
  let view = null; // {figure, box, map, marks, caption, list, more, framed}

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
    const d = describe(a);
    const kind = str(a.kind);
    const li = el("li", "sea-item " + kind + (str(a.status) === "retracted" ? " retracted" : ""));
    li.dataset.alertId = str(a.alert_id);
    li.append(el("span", "sea-kind", labels[kind] || kind), document.createTextNode(" "),
      vesselLink(a.mmsi, "sea-vessels", d.vessels), el("span", "sea-when", " · " + d.when));
    if (d.extra.length) li.append(el("span", "sea-extra", " · " + d.extra.join(" · ")));
    const named = links(a);
    if (named) li.append(named);
    return li;
  }

  // Draw the findings the list shows (alerts of these kinds with a position), newest first.
  return function draw(shown) {
    empty.hidden = shown.length > 0;
    if (!shown.length) {
      if (view) {
        view.figure.hidden = true;
        if (view.marks) view.marks.clearLayers();
        view.list.replaceChildren();
      }
      return;
    }
    if (!view) {
      view = setUp();
    } else if (view.figure.hidden) {
      view.figure.hidden = false;
      if (view.map) view.map.invalidateSize();
    }
    view.box.setAttribute("aria-label",
      `${title}: ${shown.length} finding${shown.length === 1 ? "" : "s"}`);
    if (view.map) {
      // Framed again when the findings change, not on every redraw: a viewer's zoom stays.
      const framed = shown.map(a => str(a.alert_id)).sort().join("\n");
      if (framed !== view.framed) {
        view.framed = framed;
        view.map.fitBounds(boxBounds(seaView(shown.map(position))));
      }
      view.marks.clearLayers();
      // Newest on top: Leaflet stacks markers by their height on screen unless offset more.
      shown.forEach((a, i) => {
        glyphMarker(position(a), mark(a, MARK_R), markSize(MARK_R), vesselHref(a.mmsi))
          .setZIndexOffset((shown.length - i) * 10000).addTo(view.marks);
      });
    }
    const counts = {};
    for (const a of shown) counts[str(a.kind)] = (counts[str(a.kind)] || 0) + 1;
    view.caption.replaceChildren(el("strong", "", title), document.createTextNode(" · " + kinds
      .filter(k => counts[k]).map(k => `${counts[k]} ${labels[k]}`).join(" · ")));
    view.list.replaceChildren(...shown.slice(0, SEA_LIST_MAX).map(listItem));
    view.more.hidden = shown.length <= SEA_LIST_MAX;
    view.more.textContent = `and ${shown.length - SEA_LIST_MAX} more`;
  };
}

// Encounters, loitering and dark vessels (at-sea alerts with a position).
export const drawSeaMap = findingsMap({
  hostId: "sea", emptyId: "sea-empty", title: "At sea", kinds: SEA_KINDS, labels: SEA_LABEL,
  position: seaPosition, describe: seaDescription, mark: seaMark, markSize: seaMarkSize,
  links: a => (str(a.kind) === "dark_vessel" ? candidateLinks(obj(a.evidence)) : null),
});

// Shared, invalid and swapped identities and false positions (integrity alerts with a
// position), each marked where its evidence puts the vessel.
export const drawIntegrityMap = findingsMap({
  hostId: "integrity", emptyId: "integrity-empty", title: "Identities and positions",
  kinds: INTEGRITY_KINDS, labels: INTEGRITY_LABEL, position: integrityAlertPosition,
  describe: integrityDescription, mark: integrityAlertMark, markSize: integrityMarkSize,
  links: a => (["identity_conflict", "identity_swap"].includes(str(a.kind)) ? otherLinks(a) : null),
});
