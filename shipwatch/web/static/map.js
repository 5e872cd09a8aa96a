// The base map every page draws on: Leaflet (vendored, loaded as a classic script before the
// modules) with no tile server. The land is the bundled coastline and the watched ports are the
// fences of /api/geofences, each fetched once however many maps a page shows.
import { el, svgEl, textNode } from "./dom.js";
import { arr, obj, str } from "./format.js";

export const L = window.L;
const ROLES = ["loading", "discharge", "watch"];
// Options of a small map in a scrolling column: the wheel and a finger scroll the page, not the
// map (its buttons and a double click still zoom it).
export const IN_A_COLUMN = { scrollWheelZoom: false, dragging: !(L && L.Browser.mobile) };

let coast = null;
let fences = null;

// The coastline's GeoJSON, or null: it may not exist yet, and a map without it is plain sea.
export function loadCoast() {
  coast ??= fetch("/static/coast.geojson").then(r => (r.ok ? r.json() : null)).catch(() => null);
  return coast;
}

// The fences' GeoJSON features ([] when the worker cannot say).
export function loadFences() {
  fences ??= fetch("/api/geofences").then(r => (r.ok ? r.json() : null))
    .then(c => arr(obj(c).features).map(obj)).catch(() => []);
  return fences;
}

// A map in `host` with the land under it; `panes` are the page's own, above the fences' pane.
// Null, with a word in `host`, when Leaflet did not load.
export function baseMap(host, { panes = [], ...options } = {}) {
  if (!L) {
    host.append(el("p", "empty", "The map library did not load."));
    return null;
  }
  const map = L.map(host, { zoomSnap: 0.25, worldCopyJump: false, ...options });
  map.attributionControl.setPrefix("Leaflet");
  // Panes keep the layers in order whatever arrives first: land under fences under the rest.
  for (const pane of ["coast", "fences", ...panes]) map.createPane(pane);
  loadCoast().then(land => {
    if (land) L.geoJSON(land, { pane: "coast", interactive: false, className: "coast" }).addTo(map);
  });
  return map;
}

// The fences on `map`, each named on hover and its path marked data-fence="<id>":
// id -> {name, role, bounds}.
export function addFences(map, features) {
  const found = new Map();
  for (const feature of features) {
    const p = obj(feature.properties);
    const id = str(p.id);
    const role = ROLES.includes(p.role) ? p.role : "";
    const layer = L.geoJSON(feature, { pane: "fences", className: "fence " + role });
    layer.bindTooltip(textNode(str(p.name) || id), { sticky: true });
    layer.addTo(map);
    // Leaflet makes the paths once the map has a view: marked then.
    map.whenReady(() => layer.eachLayer(part => {
      if (part.getElement && part.getElement()) part.getElement().setAttribute("data-fence", id);
    }));
    found.set(id, { name: str(p.name), role, bounds: layer.getBounds() });
  }
  return found;
}

// Leaflet bounds of a [west, south, east, north] box, or null when it is not one.
export function boxBounds(box) {
  const b = arr(box).map(Number);
  if (b.length !== 4 || !b.every(Number.isFinite)) return null;
  return L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
}

// A marker drawn as `mark` (SVG built by the page, centred on 0,0) in a `size` px square, a link
// when `href` is given. A div icon: Leaflet's default marker needs images we do not ship.
export function glyphMarker(latlng, mark, size, href) {
  const glyph = svgEl("svg", { class: "glyph", width: size, height: size,
    viewBox: `${-size / 2} ${-size / 2} ${size} ${size}` });
  if (href) {
    const link = svgEl("a", { href, class: "vessel-link" });
    link.append(mark);
    glyph.append(link);
  } else {
    glyph.append(mark);
  }
  return L.marker(latlng, { icon: L.divIcon({ html: glyph, className: "glyph-icon", iconSize: [size, size] }),
    keyboard: false }); // the link inside takes the focus, not a second stop on the marker
}
