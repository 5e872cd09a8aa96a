// The cases view, the list's alternative: one case per vessel and voyage (/api/cases), each with
// its alerts' triage; an alert's title leads back to its card.
import { el, vesselLink } from "../dom.js";
import { hasMmsi, num, obj, severityOf, shortTime, str } from "../format.js";
import { cardOf, onAlert } from "./alerts.js";
import { onStateChange, stateLines, stateOf } from "./triage.js";

const alertsView = document.getElementById("alerts-view");
const casesView = document.getElementById("cases-view");
const viewAlerts = document.getElementById("view-alerts");
const viewCases = document.getElementById("view-cases");

function showView(cases) {
  alertsView.hidden = cases;
  casesView.hidden = !cases;
  viewAlerts.setAttribute("aria-pressed", String(!cases));
  viewCases.setAttribute("aria-pressed", String(cases));
  if (cases) refreshCases();
}

function caseSummary(t) {
  const x = obj(t);
  const parts = [`${num(x.open) || 0} open`, `${num(x.acknowledged) || 0} acknowledged`];
  if (num(x.false_positive)) parts.push(`${num(x.false_positive)} false positive`);
  const names = Array.isArray(x.assignees) ? x.assignees.map(str) : [];
  if (names.length) parts.push("assigned to " + names.join(", "));
  if (num(x.notes)) parts.push(`${num(x.notes)} note${num(x.notes) === 1 ? "" : "s"}`);
  return parts.join(" · ");
}

function goTo(id) {
  showView(false);
  const card = cardOf(id);
  if (card) { card.hidden = false; card.scrollIntoView({ block: "center" }); }
}

function renderCase(c) {
  const li = el("li", "case " + severityOf(c.severity));
  li.dataset.caseId = str(c.case_id);
  const top = el("div", "top");
  const v = obj(c.vessel);
  const name = str(v.name) || (hasMmsi(c.mmsi) ? "unnamed vessel" : "unidentified vessels");
  top.append(el("span", "sev", str(c.severity)), vesselLink(c.mmsi, "name", name));
  li.append(top);
  const what = [];
  if (hasMmsi(c.mmsi)) what.push("MMSI " + str(c.mmsi));
  what.push(str(c.kind) === "voyage" ? "voyage from " + str(c.port) : str(c.kind) === "dark"
    ? "dark vessels" + (c.port ? " at " + str(c.port) : "") : "day");
  if (c.started_at) what.push(shortTime(c.started_at) + (c.ended_at && c.ended_at !== c.started_at
    ? " – " + shortTime(c.ended_at) : ""));
  li.append(el("div", "meta", what.join(" · ")), el("div", "case-triage", caseSummary(c.triage)));
  const ol = el("ol", "case-alerts");
  for (const a of Array.isArray(c.alerts) ? c.alerts.map(obj) : []) {
    const id = str(a.alert_id);
    const item = el("li", "case-alert" + (str(a.status) === "retracted" ? " retracted" : ""));
    item.dataset.alertId = id;
    const go = el("button", "goto", str(a.title) || str(a.kind));
    go.type = "button";
    go.addEventListener("click", () => goTo(id));
    item.append(el("span", "sev-mini " + str(a.severity), str(a.severity)), go,
      el("span", "case-alert-state", " · " + stateLines(stateOf(id)).join(" · ")));
    ol.append(item);
  }
  li.append(ol);
  return li;
}

function refreshCases() {
  if (casesView.hidden) return Promise.resolve();
  return fetch("/api/cases").then(r => (r.ok ? r.json() : [])).then(all => {
    const list = Array.isArray(all) ? all : [];
    document.getElementById("cases").replaceChildren(...list.map(c => renderCase(obj(c))));
    document.getElementById("cases-empty").hidden = list.length > 0;
  }).catch(() => { /* the next change tries again */ });
}

// A burst of alerts or triage changes asks the worker once, and only while the view shows.
let casesPending = false;
function scheduleCases() {
  if (casesPending || casesView.hidden) return;
  casesPending = true;
  setTimeout(() => { casesPending = false; refreshCases(); }, 300);
}

viewAlerts.addEventListener("click", () => showView(false));
viewCases.addEventListener("click", () => showView(true));
onAlert((a, first) => { if (first) scheduleCases(); });
onStateChange(scheduleCases);
