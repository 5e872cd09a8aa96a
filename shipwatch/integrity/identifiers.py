"""Whether an IMO number or an MMSI can be what it claims: the IMO's check digit, and an MMSI
whose Maritime Identification Digits (MID) are some country's.

IMO numbers: seven digits, the last a check digit (IMO Resolution A.1078(28), and SOLAS XI-1/3).
MMSIs: nine digits, laid out by ITU-R M.585 (Annex 1: ship, group, coast, SAR aircraft,
aid-to-navigation and parent-ship craft identities; Annex 2: handhelds, and the distress devices
that carry no MID); the MIDs are pyais's table (shipwatch/ais/flags.py), all from 201 to 775.
"""

from __future__ import annotations

from shipwatch.ais.flags import FLAGS

IMO_MIN = 1_000_000  # seven digits; 0 (or none) is how AIS says "no IMO number"
IMO_MAX = 9_999_999
MMSI_MAX = 999_999_999  # nine digits, leading zeros kept in the number's place, not its int


def imo_plausible(imo: int | None) -> bool:
    """True for a seven-digit number, the only shape an IMO number has (check digit aside)."""
    return imo is not None and IMO_MIN <= imo <= IMO_MAX


def imo_check_digit(body: int) -> int:
    """The check digit of an IMO number's first six digits (0 to 999999)."""
    digits = f"{body:06d}"
    # Weighted 7, 6, 5, 4, 3, 2 from the left; the sum's last digit is the check digit.
    return sum(int(d) * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10


def imo_valid(imo: int | None) -> bool:
    """True for a seven-digit IMO number whose seventh digit is its check digit."""
    if imo is None or not imo_plausible(imo):
        return False
    return imo_check_digit(imo // 10) == imo % 10


def imo_problem(imo: int | None) -> str | None:
    """What is wrong with a broadcast IMO number, or None (also for none: 0 or None).

    "imo_check_digit": seven digits that fail the check; "imo_not_7_digits": some other number
    (a transponder's junk, often the MMSI typed into the IMO field)."""
    if not imo:
        return None
    if not imo_plausible(imo):
        return "imo_not_7_digits"
    return None if imo_valid(imo) else "imo_check_digit"


def mid_of(mmsi: int) -> str | None:
    """The three MID digits of an MMSI, at their place for its kind of station (ITU-R M.585),
    or None for an MMSI whose layout carries no MID."""
    digits = f"{mmsi:09d}"
    if digits.startswith("00"):
        return digits[2:5]  # coast station: 00MIDXXXX
    if digits.startswith("0"):
        return digits[1:4]  # group of ship stations: 0MIDXXXXX
    if digits.startswith("111"):
        return digits[3:6]  # SAR aircraft: 111MIDXXX
    if digits.startswith(("98", "99")):
        # 98MIDXXXX: craft associated with a parent ship (a tender, a lifeboat);
        # 99MIDXXXX: aids to navigation (buoys, lights, virtual AtoNs).
        return digits[2:5]
    if digits[0] in "234567":
        return digits[:3]  # ship station: MIDXXXXXX
    if digits[0] == "8":
        return digits[1:4]  # handheld VHF with DSC and GNSS: 8MIDXXXXX (Annex 2)
    return None


def mmsi_problem(mmsi: int) -> str | None:
    """Why an MMSI is no country's, or None when its MID (at its place) is a country's.

    "not_9_digits": negative or longer than nine digits; "no_mid": a layout M.585 gives no MID
    and no other use (1 other than 111, 90 to 96: shared defaults like 123456789 fall here);
    "unknown_mid": the MID at its place is no country's in pyais's table."""
    if not 0 <= mmsi <= MMSI_MAX:
        return "not_9_digits"
    if 970_000_000 <= mmsi <= 979_999_999:
        # Distress and autonomous devices (M.585 Annex 2): 970XXYYYY AIS-SART, 972 man
        # overboard, 974 EPIRB-AIS, 979 autonomous maritime radio devices. XX is a maker's
        # code, not a MID, by design: nothing to check, and not invalid.
        return None
    mid = mid_of(mmsi)
    if mid is None:
        return "no_mid"
    return None if mid in FLAGS else "unknown_mid"
