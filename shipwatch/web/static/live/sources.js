// The live sources under the top bar, one line each, from /api/feeds (what `shipwatch feed`
// reports): "feed roof: connected, 812 msg/s" or "feed roof: silent for 4 min". No line at all
// when no feed reports (a replay, a feed of your own).
const REFRESH_MS = 5000;
const listEl = document.getElementById("sources");

function duration(seconds) {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

function describe(s) {
  if (!s.reporting) return "not reporting (is shipwatch feed running?)";
  if (!s.connected) return "disconnected" + (s.silent_s != null ? `, silent for ${duration(s.silent_s)}` : "");
  if (s.silent_s == null) return "connected, nothing received yet";
  if (s.silent_s >= 60) return `connected, silent for ${duration(s.silent_s)}`;
  return `connected, ${Math.round(Number(s.messages_per_s) || 0)} msg/s`;
}

function render(all) {
  listEl.replaceChildren();
  for (const s of Array.isArray(all) ? all : []) {
    const li = document.createElement("li");
    const text = describe(s);
    li.textContent = `feed ${String(s.source)}: ${text}`;
    li.className = "source " + (s.reporting && s.connected && (s.silent_s ?? 0) < 60 ? "ok" : "bad");
    listEl.append(li);
  }
  listEl.hidden = listEl.childElementCount === 0;
}

function refresh() {
  fetch("/api/feeds").then(r => (r.ok ? r.json() : [])).then(render).catch(() => { /* next time */ });
}

export function startSources() {
  if (!listEl) return;
  refresh();
  setInterval(refresh, REFRESH_MS);
}
