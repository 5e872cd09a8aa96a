"""The KML export for Google Earth: the track's segments, events and alerts (pure)."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from shipwatch.history.export.selection import (
    Subject,
    iso,
    jsonable,
    parse_time,
    placed,
    select,
    track_lines,
    vessel_name,
)
from shipwatch.history.model import VesselHistory

KML_NS = "http://www.opengis.net/kml/2.2"

# XML 1.0 cannot carry these characters at all, even escaped: they would make the KML unreadable.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: object) -> str:
    return _NOT_XML.sub("\ufffd", "" if text is None else str(text))


def _sub(parent: ET.Element, tag: str, text: object = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = _xml(text)
    return element


def _description(lines: Iterable[tuple[str, object]]) -> str:
    # Google Earth renders a description as HTML: escaping it once more makes a name like
    # <script> show as text there instead of running (the XML escaping alone is undone by
    # the parser before the balloon sees it).
    return "<br>".join(
        f"<b>{html.escape(label)}</b>: {html.escape(_xml(value))}" for label, value in lines
    )


def _when(parent: ET.Element, at: str) -> None:
    moment = parse_time(at)
    if moment is not None:
        _sub(_sub(parent, "TimeStamp"), "when", iso(moment))


def to_kml(history: VesselHistory, subject: Subject) -> str:
    """The subject as KML 2.2 for Google Earth: the track's segments, events and alerts."""
    selection = select(history, subject)
    # A plain `xmlns` attribute instead of ET.register_namespace, which is process-wide state.
    kml = ET.Element("kml", {"xmlns": KML_NS})
    document = _sub(kml, "Document")
    _sub(document, "name", vessel_name(history))
    _sub(
        document,
        "description",
        _description(
            [
                ("MMSI", history.mmsi),
                ("IMO", history.identity.get("imo")),
                ("Export", subject.label(history.mmsi)),
            ]
        ),
    )
    # Balloons show the (escaped) description only: the default balloon puts the name in
    # as HTML, and the name is whatever the transmitter sent.
    style = ET.SubElement(document, "Style", {"id": "evidence"})
    _sub(_sub(style, "BalloonStyle"), "text", "$[description]")
    for number, line in enumerate(track_lines(selection.track), start=1):
        placemark = _sub(document, "Placemark")
        _sub(placemark, "name", f"Track {number}: {line[0].ts} – {line[-1].ts}")
        _sub(
            placemark,
            "description",
            _description([("From", line[0].ts), ("To", line[-1].ts), ("Fixes", len(line))]),
        )
        _sub(placemark, "styleUrl", "#evidence")
        start, end = parse_time(line[0].ts), parse_time(line[-1].ts)
        if start is not None and end is not None:
            span = _sub(placemark, "TimeSpan")
            _sub(span, "begin", iso(start))
            _sub(span, "end", iso(end))
        linestring = _sub(placemark, "LineString")
        _sub(linestring, "tessellate", 1)
        _sub(linestring, "coordinates", " ".join(f"{fix.lon},{fix.lat}" for fix in line))
    for place in placed(selection):
        entry, record = place.entry, place.entry.record
        title = record.get("title") if entry.source == "alert" else None
        placemark = _sub(document, "Placemark")
        _sub(placemark, "name", title or f"{entry.kind} {entry.at}")
        details: list[tuple[str, object]] = [
            ("Source", entry.source),
            ("Kind", entry.kind),
            ("At", entry.at),
            ("Position from", place.position_from),
        ]
        if place.nearest_fix_ts is not None:
            details.append(("Nearest fix", place.nearest_fix_ts))
        details.append(("Record", json.dumps(jsonable(record), sort_keys=True)))
        _sub(placemark, "description", _description(details))
        _sub(placemark, "styleUrl", "#evidence")
        _when(placemark, entry.at)
        _sub(_sub(placemark, "Point"), "coordinates", f"{place.lon},{place.lat}")
    body = ET.tostring(kml, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
