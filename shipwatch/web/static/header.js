"use strict";
// The search box every page has at its top: a plain form to /search (it works without this
// script). This script only adds the box to a page whose header lacks one, and fills it with
// the query the page was opened with. No value is ever parsed as HTML.
(function () {
  const PLACEHOLDER = "name, MMSI, IMO or call sign";

  function searchForm() {
    const form = document.createElement("form");
    form.className = "search";
    form.action = "/search";
    form.method = "get";
    form.setAttribute("role", "search");
    const input = document.createElement("input");
    input.name = "q";
    input.type = "search";
    input.placeholder = PLACEHOLDER;
    input.setAttribute("aria-label", "search vessels");
    const button = document.createElement("button");
    button.type = "submit";
    button.textContent = "search";
    form.append(input, button);
    return form;
  }

  function setUp() {
    let form = document.querySelector("form.search");
    if (!form) {
      const header = document.querySelector("header");
      if (!header) return;
      form = searchForm();
      header.append(form);
    }
    const input = form.querySelector('input[name="q"]');
    const q = new URLSearchParams(location.search).get("q");
    if (input && q !== null && location.pathname === "/search" && !input.value) input.value = q;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
