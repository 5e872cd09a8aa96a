// The top bar of every page, defined here once: the name, the way back to the live page and
// the vessel search (a plain GET form to /search). A page marks its place with
// <header class="topbar" data-subtitle="…">; what the page put inside it (its status, who is
// signed in) stays, after the title.
import { el } from "./dom.js";

const HOME = "/";

function title(subtitle) {
  const h1 = el("h1");
  const home = el("a", "", "shipwatch");
  home.setAttribute("href", HOME);
  h1.append(home, " ", el("span", "sub", subtitle));
  return h1;
}

function backLink() {
  const a = el("a", "back", "← live alerts");
  a.setAttribute("href", HOME);
  return a;
}

function searchForm() {
  const form = el("form", "search");
  form.action = "/search";
  form.method = "get";
  form.setAttribute("role", "search");
  const input = el("input");
  input.name = "q";
  input.type = "search";
  input.placeholder = "name, MMSI, IMO or call sign";
  input.maxLength = 200;
  input.setAttribute("aria-label", "search vessels");
  // The search page was opened with a query: show it, to refine it.
  const q = new URLSearchParams(location.search).get("q");
  if (location.pathname === "/search" && q !== null) input.value = q;
  const button = el("button", "", "search");
  button.type = "submit";
  form.append(input, button);
  return form;
}

function renderTopBar(header) {
  const own = [...header.children];
  const start = [title(header.dataset.subtitle || "")];
  if (location.pathname !== HOME) start.push(backLink());
  header.replaceChildren(...start, ...own, searchForm());
}

const header = document.querySelector("header.topbar");
if (header) renderTopBar(header);
