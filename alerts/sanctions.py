"""Sanctioned vessels from the lists users download: the UN Security Council consolidated list
(XML) and OFAC's SDN list (`sdn.xml` or `sdn.csv`). Pure: bytes in, entries out; nothing is
fetched, and the format is told by the content (a `<` first: XML, else CSV) and the `.xml` name.

- UN: the list has no vessel record type. An `ENTITY` becomes a vessel entry for each IMO number
  its text gives, either labelled (`IMO: 8916293`, `IMO 8916293`, `IMO No. 8916293`) under the
  entity's own name, or in a fleet enumerated after "IMO numbers:" as `(a) NAME (ALIAS) 8606173
  (b) ...`, each under its own name with the entity as `via` (how the list names the vessels of
  Ocean Maritime Management, KPe.020). Entities with no IMO number and individuals are left out:
  a company's name is no vessel name.
- OFAC: entries of type vessel; IMO numbers from the ids (`Vessel Registration Identification`,
  `IMO 8916293`) and the remarks. A vessel without an IMO is kept, matched by name only. The CSV
  is the legacy `sdn.csv`: no header row (one is skipped if present), 12 columns, `-0-` for empty.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from shipwatch.errors import ShipwatchError

UN = "UN"
OFAC = "OFAC SDN"
AIS_NAME_CHARS = 20  # AIS carries 20 characters of a ship's name: longer names arrive cut
SDN_COLUMNS = 12  # ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage,
# GRT, Vess_flag, Vess_owner, Remarks

# "IMO 8916293", "IMO: 8916293", "IMO No. 8916293", "IMO number 8916293", "IMO8916293".
IMO_LABELLED = re.compile(r"\bIMO(?:\s*(?:No\.?|Number|#))?\s*[:.]?\s*(\d{7})(?!\d)", re.I)
FLEET_START = re.compile(r"\bIMO\s+numbers\s*:?", re.I)
FLEET_ITEM = re.compile(r"\(([a-z]{1,2})\)\s")  # (a) ... (z) (aa) ...
FLEET_ENTRY = re.compile(r"(.*?)\s*\b(\d{7})(?!\d)", re.S)
PARENS = re.compile(r"\(([^()]*)\)")


class SanctionsError(ShipwatchError):
    """The content is not a supported sanctions list; the message says what is wrong."""


@dataclass(frozen=True)
class SanctionedVessel:
    """One vessel as a sanctions list names it; `imo` None when the list gives no IMO number."""

    imo: int | None
    name: str
    list: str  # UN or OFAC SDN
    programme: str  # the UN list type (DPRK) or OFAC's programmes (DPRK3, DPRK4)
    reference: str  # the UN reference number (KPe.020) or OFAC's entry number (uid, ent_num)
    aliases: tuple[str, ...] = ()
    listed_on: str | None = None  # the UN's LISTED_ON date
    via: str | None = None  # the listed entity whose entry names this vessel (UN fleets)

    def name_keys(self) -> set[str]:
        """The normalized names this entry matches: its name and aliases, also cut as AIS cuts
        them."""
        keys: set[str] = set()
        for name in (self.name, *self.aliases):
            keys.add(name_key(name))
            spaced = " ".join(name.upper().split())
            if len(spaced) > AIS_NAME_CHARS:
                keys.add(name_key(spaced[:AIS_NAME_CHARS]))
        keys.discard("")
        return keys

    def evidence(self, matched_by: str) -> dict[str, Any]:
        """What an alert's evidence says of this entry, and whether the IMO or a name matched."""
        return {
            "list": self.list,
            "programme": self.programme,
            "reference": self.reference,
            "name": self.name,
            "imo": self.imo,
            "listed_on": self.listed_on,
            "via": self.via,
            "matched_by": matched_by,
        }


@lru_cache(maxsize=65_536)  # names repeat with every fix of a vessel
def name_key(name: str) -> str:
    """A name as compared: upper case, punctuation as spaces, spaces collapsed."""
    return " ".join(re.sub(r"[\W_]+", " ", name.upper()).split())


def imos_in(text: str) -> list[int]:
    """The IMO numbers a text labels as such, in order, each once."""
    return list(dict.fromkeys(int(m) for m in IMO_LABELLED.findall(text)))


def split_paths(value: str) -> list[Path]:
    """The paths of a comma-separated setting, `~` expanded; blanks ignored."""
    return [Path(part.strip()).expanduser() for part in value.split(",") if part.strip()]


def parse(data: bytes, filename: str = "") -> list[SanctionedVessel]:
    """The vessels of one list file, its format told by its content (and a `.xml` name)."""
    body = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not body:
        raise SanctionsError("the file is empty")
    if body.startswith(b"<") or filename.lower().endswith(".xml"):
        return parse_xml(body)
    return parse_sdn_csv(_decode(data))


# ---------------------------------------------------------------- XML


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]  # OFAC's files put every element in a namespace


def _child(elem: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in elem if _local(c.tag) == name), None)


def _text(elem: ET.Element, name: str) -> str:
    child = _child(elem, name)
    return " ".join((child.text or "").split()) if child is not None else ""


def _all(elem: ET.Element, *path: str) -> Iterator[ET.Element]:
    """The descendants along the path of local names, e.g. ("idList", "id")."""
    level = [elem]
    for name in path:
        level = [c for e in level for c in e if _local(c.tag) == name]
    yield from level


def parse_xml(data: bytes) -> list[SanctionedVessel]:
    """The vessels of the UN consolidated list or of OFAC's sdn.xml."""
    root_at = re.search(rb"<[A-Za-z_]", data)
    if root_at is not None and b"<!DOCTYPE" in data[: root_at.start()]:
        # Neither list declares one; a DTD's entities could only blow the parse up.
        raise SanctionsError("XML with a DOCTYPE is not accepted (neither list has one)")
    entries: list[SanctionedVessel] = []
    try:
        events = ET.iterparse(io.BytesIO(data), events=("start", "end"))
        _, root = next(events)
        kind = _local(root.tag)
        parse_record: Callable[[ET.Element], list[SanctionedVessel]]
        if kind == "CONSOLIDATED_LIST":
            record, parse_record = "ENTITY", _un_entity
        elif kind == "sdnList":
            record, parse_record = "sdnEntry", _sdn_entry
        else:
            raise SanctionsError(
                f"an XML file but neither the UN consolidated list (<CONSOLIDATED_LIST>) "
                f"nor OFAC's SDN list (<sdnList>): its root is <{kind}>"
            )
        for event, elem in events:
            if event == "end" and _local(elem.tag) == record:
                entries.extend(parse_record(elem))
                elem.clear()  # a whole SDN list is tens of megabytes
    except ET.ParseError as exc:
        raise SanctionsError(f"not well-formed XML: {exc}") from exc
    except StopIteration as exc:
        raise SanctionsError("not well-formed XML: no element") from exc
    return entries


def _un_entity(entity: ET.Element) -> list[SanctionedVessel]:
    name = _text(entity, "FIRST_NAME")
    common: dict[str, Any] = {
        "list": UN,
        "programme": _text(entity, "UN_LIST_TYPE"),
        "reference": _text(entity, "REFERENCE_NUMBER"),
        "listed_on": _text(entity, "LISTED_ON") or None,
    }
    text = " ".join(" ".join(entity.itertext()).split())
    entries = _fleet(text, name, common)
    aliases = tuple(
        alias for a in _all(entity, "ENTITY_ALIAS") if (alias := _text(a, "ALIAS_NAME"))
    )
    named = {e.imo for e in entries}
    for imo in imos_in(text):
        if imo not in named:
            entries.append(SanctionedVessel(imo, name, aliases=aliases, **common))
    if entries and not name:
        raise SanctionsError(f"UN entity {common['reference'] or '?'}: no FIRST_NAME")
    return entries


def _fleet(text: str, owner: str, common: dict[str, Any]) -> list[SanctionedVessel]:
    """The vessels enumerated after "IMO numbers:", `(a) NAME (ALIAS) 1234567 (b) ...`."""
    start = FLEET_START.search(text)
    if start is None:
        return []
    parts = FLEET_ITEM.split(text[start.end() :])
    entries = []
    for item in parts[2::2]:  # [before, "a", item a, "b", item b, ...]
        found = FLEET_ENTRY.match(item)
        if found is None:
            continue
        label, imo = found.groups()
        vessel = PARENS.sub(" ", label).strip(" ,;")
        aliases = tuple(a.strip() for a in PARENS.findall(label) if a.strip())
        if vessel:
            entries.append(SanctionedVessel(int(imo), vessel, aliases=aliases, via=owner, **common))
    return entries


def _sdn_entry(entry: ET.Element) -> list[SanctionedVessel]:
    if _text(entry, "sdnType").lower() != "vessel":
        return []
    uid = _text(entry, "uid")
    name = " ".join(filter(None, (_text(entry, "firstName"), _text(entry, "lastName"))))
    if not name:
        raise SanctionsError(f"SDN entry {uid or '?'}: a vessel without a name (lastName)")
    imos: list[int] = []
    for ident in _all(entry, "idList", "id"):
        kind, number = _text(ident, "idType").lower(), _text(ident, "idNumber")
        if "vessel registration" in kind or "imo" in kind:
            imos += imos_in(number) or ([int(number)] if re.fullmatch(r"\d{7}", number) else [])
    imos += imos_in(_text(entry, "remarks"))
    aliases = tuple(
        alias
        for aka in _all(entry, "akaList", "aka")
        if (alias := " ".join(filter(None, (_text(aka, "firstName"), _text(aka, "lastName")))))
    )
    programme = ", ".join(p.text.strip() for p in _all(entry, "programList", "program") if p.text)
    return _one_per_imo(list(dict.fromkeys(imos)), name, programme, uid, aliases)


def _one_per_imo(
    imos: list[int], name: str, programme: str, reference: str, aliases: tuple[str, ...] = ()
) -> list[SanctionedVessel]:
    found: list[int | None] = [*imos] if imos else [None]
    return [SanctionedVessel(imo, name, OFAC, programme, reference, aliases) for imo in found]


# ---------------------------------------------------------------- CSV


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # the older files are Windows-1252


def _value(field: str) -> str:
    text = " ".join(field.split())
    return "" if text == "-0-" else text


def parse_sdn_csv(text: str) -> list[SanctionedVessel]:
    """The vessels of OFAC's legacy `sdn.csv`."""
    entries: list[SanctionedVessel] = []
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            cells = [c for c in row if c.strip(" \x1a")]  # the file ends with a Ctrl-Z line
            if not cells:
                continue
            line = reader.line_num
            if line == 1 and row[0].strip().lower() == "ent_num":
                continue  # a header row someone added
            if len(row) != SDN_COLUMNS:
                raise SanctionsError(
                    f"not OFAC's sdn.csv: line {line} has {len(row)} columns, not {SDN_COLUMNS}"
                    " (ent_num, SDN_Name, SDN_Type, Program, ..., Remarks)"
                )
            number = row[0].strip()
            if not number.isdigit():
                raise SanctionsError(f"line {line}: ent_num {number[:20]!r} is not a number")
            if _value(row[2]).lower() != "vessel":
                continue
            name = _value(row[1])
            if not name:
                raise SanctionsError(f"line {line}: vessel {number} without a name (SDN_Name)")
            # Several programmes read "DPRK3] [DPRK4" (the list's "[DPRK3] [DPRK4]").
            programme = ", ".join(p.strip(" []") for p in _value(row[3]).split("] ["))
            entries += _one_per_imo(imos_in(_value(row[11])), name, programme, number)
    except csv.Error as exc:
        raise SanctionsError(f"not OFAC's sdn.csv: line {reader.line_num}: {exc}") from exc
    return entries
