// The live alerts page: the alert list (live/alerts.js) with the team's triage (live/triage.js)
// and the cases view (live/cases.js), the maps beside it (live/maps.js), all filled by the
// worker's feeds (live/feeds.js). Every value comes from a feed anyone could write to: it is
// set with textContent, setAttribute or new Option only, never parsed as HTML.
import { refilter } from "./live/alerts.js";
import "./live/cases.js";
import { startFeeds } from "./live/feeds.js";
import { startMaps } from "./live/maps.js";
import { startSources } from "./live/sources.js";

startMaps();
startSources();
refilter();
startFeeds();
