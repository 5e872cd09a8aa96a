// One small map per watched port: the fence and the waters around it, the vessels there (from
// /api/vessels), ringed when they have an alert, the dark vessels seen at the port, and the
// integrity findings in its view (a false position, a shared identity near the port).
import { el, svgEl, vesselHref, vesselLink } from "../dom.js";
import { arr, mmsiText, obj, shortTime, str } from "../format.js";
import { IN_A_COLUMN, L, addFences, baseMap, boxBounds, glyphMarker } from "../map.js";
import { integrityAlertMark, integrityAlertPosition, integrityMarkSize, seaMark, seaMarkSize,
  seaPosition } from "./findings.js";

const DOT_R = 5; // px
const RING_R = 9.5;
const DARK_R = 6;
const INTEGRITY_R = 5.5;
const INSIDE_LISTED = 8;

const host = document.getElementById("maps");
const ports = []; // {id, name, view (Leaflet bounds), map, marks, caption, list}

// A map for each fence (GeoJSON features of /api/geofences), framed on its properties.view.
export function setUpPortMaps(fences) {
  for (const feature of fences) {
    const props = obj(feature.properties);
    const id = str(props.id);
    const name = str(props.name);
    const figure = el("figure", "port");
    figure.dataset.fence = id;
    const box = el("div", "port-map");
    box.setAttribute("aria-label", name);
    const caption = el("figcaption", "caption");
    const list = el("ul");
    figure.append(box, caption, list);
    host.append(figure);
    const map = baseMap(box, IN_A_COLUMN);
    let view = boxBounds(props.view);
    let marks = null;
    if (map) {
      const placed = addFences(map, fences);
      view ??= placed.get(id) ? placed.get(id).bounds : null;
      if (view) map.fitBounds(view); else map.setView([0, 0], 2);
      marks = L.layerGroup().addTo(map);
    }
    ports.push({ id, name, view, marks, caption, list });
  }
}

function vesselMark(v, state, alerted) {
  const g = svgEl("g", { "data-mmsi": str(v.mmsi), class: "vessel-mark" });
  if (alerted) g.append(svgEl("circle", { cx: 0, cy: 0, r: RING_R, class: "ring" }));
  const dot = svgEl("circle", { cx: 0, cy: 0, r: DOT_R, class: "vessel-dot " + state });
  const tip = svgEl("title");
  const name = v.vessel && v.vessel.name ? str(v.vessel.name) + " · " : "";
  tip.textContent = `${name}MMSI ${mmsiText(v.mmsi)} · ${state} · ${str(v.sog)} kn · ${shortTime(v.ts)}`;
  dot.append(tip);
  g.append(dot);
  return g;
}

// Draw what the ports have now: `vessels` of /api/vessels, the MMSIs with an `alerted` set,
// the `dark` vessel alerts and the `integrity` alerts the list shows.
export function drawPortMaps(vessels, alerted, dark, integrity = []) {
  for (const port of ports) {
    const inView = (lat, lon) => !port.view || port.view.contains([lat, lon]);
    const here = vessels.filter(v => v.area === port.id && inView(v.lat, v.lon));
    const inside = [];
    if (port.marks) port.marks.clearLayers();
    for (const v of here) {
      const state = arr(v.inside).length ? "inside" : (arr(v.near).length ? "near" : "around");
      if (state === "inside") inside.push(v);
      const mark = vesselMark(v, state, alerted.has(str(v.mmsi)));
      if (port.marks) glyphMarker([v.lat, v.lon], mark, 2 * RING_R + 3, vesselHref(v.mmsi)).addTo(port.marks);
    }
    for (const a of dark) {
      const at = seaPosition(a);
      if (str(a.port) !== port.id || !at || !inView(...at) || !port.marks) continue;
      glyphMarker(at, seaMark(a, DARK_R), seaMarkSize(DARK_R)).addTo(port.marks);
    }
    // Where its evidence puts the vessel, when that is in this port's view (near the port, or
    // on the land around it), a link to the vessel's page like its dot.
    for (const a of integrity) {
      const at = integrityAlertPosition(a);
      if (!at || !port.view || !port.view.contains(at) || !port.marks) continue;
      glyphMarker(at, integrityAlertMark(a, INTEGRITY_R), integrityMarkSize(INTEGRITY_R),
        vesselHref(a.mmsi)).addTo(port.marks);
    }
    port.caption.replaceChildren(el("strong", "", port.name),
      document.createTextNode(` · ${inside.length} inside · ${here.length} around`));
    port.list.replaceChildren();
    port.list.hidden = inside.length === 0;
    for (const v of inside.slice(0, INSIDE_LISTED)) {
      const name = v.vessel && v.vessel.name ? str(v.vessel.name) : "unnamed";
      const item = el("li");
      item.append(vesselLink(v.mmsi, "", `${name} (MMSI ${mmsiText(v.mmsi)})`));
      port.list.append(item);
    }
  }
}
