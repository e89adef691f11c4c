"""Bio-Rad Bio-Plex Manager XML exports into wells.

The document (`<bpm:BioPlexManager BioPlexManagerVersion="6.2.0.175">`) holds:

- `Samples`: one section per kind (`Blanks`, `Standards`, `Controls`, `Unknowns`), each
  a list of groups (`Label` `S3`, `Description`, `Dilution`) with Bio-Plex's statistics
  per analyte (`Analytes/Analyte`: `RawMean` the replicates' mean FI, `Mean` that minus
  the blank, `ExpectedConc`, `ObsConc`) and the group's wells (`MemberWells/MemberWell
  RowNo ColNo`), each with one `MWAnalyte RegionNumber` per analyte: `AnalyteName`,
  `Reading` (the FI, the median of the bead region; attributes `Valid`, `Code` (a
  sampling error), `OutlierType`) and `MWObsConc` (the concentration, when Bio-Plex
  computed one: `ReadingOK="true"`).
- `Wells`: the instrument's record of each acquired well (`AcquisitionTime`, `PlateID`,
  `MachineInfo/SerialNumber`, `BeadRegions/BeadRegion RegionNumber` with `RegionCount`,
  the bead count).
- `StandardCurves/Interpolators/Interpolator RegionNumber`: per analyte the
  `ConcentrationUnits`, the `Regression` type and, when no curve could be fitted,
  `EquationErr`.

Read as three layers: `_document` parses the XML; `Reading`, `GroupAnalyte`,
`SampleGroup`, `Acquisition` and `Curve` each check one element (`create`); and
`read_bioplex_xml` composes the wells. Analytes are named as Bio-Plex's Excel report
names its sheets, `<AnalyteName> (<RegionNumber>)`, so one alias serves both exports.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from assaypipe.errors import InputError, excerpt
from assaypipe.readers.bioplex import (
    DEFAULT_BASIS,
    SAMPLING_ERRORS,
    SIGNAL_COLUMNS,
    VENDOR_MASKED,
    VENDOR_SAMPLING_ERROR,
    concentration_basis,
    names_a_control,
    role_of_code,
)
from assaypipe.readers.cells import (
    ROW_LETTERS,
    classify_texts,
    is_whole,
    listed,
    vendor_rows,
    well_order,
    wells_columns,
)
from assaypipe.readers.columns import ColumnTable, objects
from assaypipe.readers.parsed import ParsedPlate, Warnings
from assaypipe.readers.protocol import Format, ReadOptions, Source
from assaypipe.vocabulary import Role

__all__ = [
    "BIOPLEX_XML",
    "Acquisition",
    "Curve",
    "GroupAnalyte",
    "Reading",
    "SampleGroup",
    "looks_like_bioplex_xml",
    "read_bioplex_xml",
]

# The kind of each group element of `Samples`.
_ROLES: Final = {
    "Blank": Role.BLANK,
    "Standard": Role.STANDARD,
    "Control": Role.CONTROL,
    "Unknown": Role.SAMPLE,
}
# Bio-Plex's code for "Data field has not been set": nothing was computed.
_NOT_SET: Final = "9"
# Elements only a Bio-Plex Manager XML export (or a piece of one) holds.
_MARKERS: Final = ("BioPlexManager", "<MemberWells", "<RunProtocolDocumentName", "<BeadRegions")
_MOST_LISTED: Final = 12


def _local(tag: str) -> str:
    """An element's name without its namespace: `BioPlexManager` for `{...}BioPlexManager`."""
    return tag.rsplit("}", 1)[-1]


def _text(element: ET.Element | None, path: str) -> str:
    found = element.find(path) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


def _well(element: ET.Element, file: str, where: str) -> str:
    """The well of an element with `RowNo` and `ColNo` attributes (1-based)."""
    row, column = element.get("RowNo", ""), element.get("ColNo", "")
    if not (is_whole(row) and is_whole(column)) or not (
        1 <= int(row) <= len(ROW_LETTERS) and 1 <= int(column) <= 24
    ):
        raise InputError(
            file,
            f"RowNo {excerpt(row)} and ColNo {excerpt(column)} are not a plate well; expected "
            "rows 1 to 16 and columns 1 to 24",
            where=where,
        )
    return f"{ROW_LETTERS[int(row) - 1]}{int(column)}"


def _well_number(well: str, columns: int) -> int:
    """Bio-Plex's WellNumber of a well: 1 for A1, then along the rows (13 for B1)."""
    return ROW_LETTERS.index(well[0]) * columns + int(well[1:])


def _analyte(name: str, region: str) -> str:
    if not region:
        return name
    return f"{name} ({region})" if name else f"region {region}"


@dataclass(frozen=True)
class Reading:
    """One `MWAnalyte` of a member well: the analyte's FI in that well, and the
    concentration Bio-Plex computed from it (`obs_text`, empty when none; the error's
    text when it reports one)."""

    well: str
    number: str
    region: str
    name: str
    text: str
    valid: bool
    code: str
    outlier: str
    obs_text: str

    @staticmethod
    def create(element: ET.Element, well: str, number: str) -> Reading:
        reading = element.find("Reading")
        obs = element.find("MWObsConc")
        obs_text = ""
        if obs is not None:
            if obs.get("ReadingOK", "").casefold() == "true":
                obs_text = (obs.text or "").strip()
            elif obs.get("ReadErrorCode", _NOT_SET) != _NOT_SET:
                obs_text = obs.get("ReadError", "").strip()
        return Reading(
            well=well,
            number=number,
            region=element.get("RegionNumber", "").strip(),
            name=_text(element, "AnalyteName"),
            text=(reading.text or "").strip() if reading is not None else "",
            valid=reading is not None and reading.get("Valid", "true").casefold() != "false",
            code=(reading.get("Code", "0") if reading is not None else "0").strip() or "0",
            outlier=(reading.get("OutlierType", "None") if reading is not None else "None"),
            obs_text=obs_text,
        )


@dataclass(frozen=True)
class GroupAnalyte:
    """Bio-Plex's statistics of one analyte over a group's wells (`Analytes/Analyte`)."""

    region: str
    name: str
    raw_mean: float
    mean: float
    expected: float
    obs_text: str

    @property
    def background(self) -> float | None:
        """What Bio-Plex subtracted from the group's FI (RawMean - Mean), if it says."""
        value = self.raw_mean - self.mean
        return value if math.isfinite(value) else None

    @staticmethod
    def create(element: ET.Element) -> GroupAnalyte:
        flag = element.find("ObsConcValidationFlag")
        computed = flag is None or flag.get("Code", "0") != _NOT_SET
        return GroupAnalyte(
            region=element.get("RegionNumber", "").strip(),
            name=_text(element, "AnalyteName"),
            raw_mean=_number(_text(element, "RawMean")),
            mean=_number(_text(element, "Mean")),
            expected=_number(_text(element, "ExpectedConc")),
            obs_text=_text(element, "ObsConc") if computed else "",
        )


@dataclass(frozen=True)
class SampleGroup:
    """One group of `Samples` (a blank, a standard level, a control, an unknown): its
    label, description, dilution, Bio-Plex's statistics and its wells' readings."""

    kind: str
    label: str
    description: str
    dilution: float
    analytes: tuple[GroupAnalyte, ...]
    readings: tuple[Reading, ...]

    @staticmethod
    def create(element: ET.Element, file: str) -> SampleGroup:
        kind = _local(element.tag)
        label = _text(element, "Label")
        where = f"{kind} {label}".strip()
        dilution_text = _text(element, "Dilution")
        dilution = _number(dilution_text) if dilution_text else 1.0
        if not (math.isfinite(dilution) and dilution > 0):
            raise InputError(
                file, f"dilution {dilution_text!r} is not a number above 0", where=where
            )
        readings: list[Reading] = []
        for member in element.iterfind("MemberWells/MemberWell"):
            well = _well(member, file, where)
            number = member.get("WellNumber", "").strip()
            readings.extend(
                Reading.create(a, well, number) for a in member.iterfind("MWAnalytes/*")
            )
        return SampleGroup(
            kind=kind,
            label=label,
            description=_text(element, "Description"),
            dilution=dilution,
            analytes=tuple(GroupAnalyte.create(a) for a in element.iterfind("Analytes/*")),
            readings=tuple(readings),
        )

    def role(self) -> tuple[str, int | None]:
        """Role and level: from the group's kind, the level from its label (`S3`); an
        unknown whose description names a control is a control."""
        by_code = role_of_code(self.label, self.description)
        role = _ROLES.get(self.kind)
        if role is None:
            return by_code
        if role == Role.SAMPLE and names_a_control(self.description):
            role = Role.CONTROL
        return role, by_code[1] if by_code[0] == role else None


@dataclass(frozen=True)
class Acquisition:
    """The instrument's record of one acquired well (`Wells/Well`)."""

    well: str
    time: str
    plate_id: str
    serial_number: str
    software_version: str
    bead_counts: tuple[tuple[str, int], ...]

    @staticmethod
    def create(element: ET.Element, file: str) -> Acquisition:
        counts = []
        for region in element.iterfind("BeadRegions/BeadRegion"):
            count = _text(region, "RegionCount")
            if is_whole(count):
                counts.append((region.get("RegionNumber", "").strip(), int(count)))
        return Acquisition(
            well=_well(element, file, "Wells"),
            time=_text(element, "AcquisitionTime"),
            plate_id=_text(element, "PlateID"),
            serial_number=_text(element, "MachineInfo/SerialNumber"),
            software_version=_text(element, "ExternalSWInfo/SoftwareVersion"),
            bead_counts=tuple(counts),
        )


@dataclass(frozen=True)
class Curve:
    """One analyte's standard curve settings (`Interpolator`)."""

    region: str
    name: str
    unit: str
    model: str
    error: str

    @staticmethod
    def create(element: ET.Element) -> Curve:
        return Curve(
            region=element.get("RegionNumber", "").strip(),
            name=_text(element, "AnalyteName"),
            unit=_text(element, "ConcentrationUnits"),
            model=_text(element, "Regression"),
            error=_text(element, "EquationErr"),
        )


def looks_like_bioplex_xml(text: str) -> bool:
    head = text[:20000]
    return head.lstrip("\ufeff \t\r\n").startswith("<") and any(m in head for m in _MARKERS)


def _document(text: str, file: str) -> ET.Element:
    # Bio-Plex Manager declares no document type; one that does could expand entities.
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise InputError(
            file, "the XML declares a document type or entities, which no Bio-Plex Manager "
            "export does; export the plate again from Bio-Plex Manager"
        )  # fmt: skip
    try:
        # The text as decoded for every format (UTF-8, UTF-16, cp1252), whatever
        # encoding the declaration names.
        return ET.fromstring(text)
    except ET.ParseError as error:
        raise InputError(
            file,
            f"the XML document is damaged or cut off ({error}); export it again from "
            "Bio-Plex Manager",
        ) from None


def read_bioplex_xml(text: str, file: str, signal: str = "median") -> ParsedPlate:
    """Wells (unvalidated), run metadata, Bio-Plex's own results and the warnings of one
    XML export."""
    root = _document(text, file)
    notes = Warnings()
    whole = _local(root.tag) == "BioPlexManager"
    samples = root if _local(root.tag) == "Samples" else root.find("Samples")
    if samples is None:
        raise InputError(
            file,
            f"the XML ({_local(root.tag)} element) has no Samples element, which holds the "
            "wells' roles and readings in a Bio-Plex Manager export; export the whole "
            "document from Bio-Plex Manager",
        )
    if not whole:
        notes.add(
            "the document is a Samples element alone, not a whole Bio-Plex Manager export: "
            "its run metadata, bead counts and curves are not in it"
        )
    groups = [SampleGroup.create(element, file) for section in samples for element in section]
    unknown = sorted({g.kind for g in groups} - set(_ROLES))
    if unknown:
        notes.add(
            f"Samples holds groups of unknown kind ({', '.join(unknown)}): their role comes "
            "from their label (B, S<n>, C<n>, else a sample)"
        )
    acquired = [Acquisition.create(element, file) for element in root.iterfind("Wells/Well")]
    curves = [Curve.create(element) for element in root.iterfind("StandardCurves/Interpolators/*")]
    names = _AnalyteNames(
        [(c.region, c.name) for c in curves]
        + [(a.region, a.name) for g in groups for a in g.analytes]
        + [(r.region, r.name) for g in groups for r in g.readings]
    )
    dimensions = root.find("PlateDimensions")
    columns = _number(dimensions.get("Columns", "")) if dimensions is not None else math.nan
    wells, vendor_rows, evidence = _compose(
        groups, acquired, names, int(columns) if columns > 0 else 12, signal, notes
    )
    if not wells.n_rows:
        raise InputError(file, "the XML's Samples element lists no well readings")
    _note_acquisition(wells.columns["well"], acquired, whole, notes)
    labels = {curve: names.label(curve.region, curve.name) for curve in curves}
    names.note(notes)
    _note_curves(labels, notes)
    unit_of = {labels[curve]: curve.unit for curve in curves if curve.unit}
    wells.columns["unit"] = objects(
        [unit_of.get(analyte, "") for analyte in wells.columns["analyte"].tolist()]
    )
    vendor_rows += [(labels[c], None, "model", c.model) for c in curves if c.model]
    basis = concentration_basis(*evidence) or DEFAULT_BASIS
    vendor = _vendor(vendor_rows, unit_of, basis)
    units = list(dict.fromkeys(curve.unit for curve in curves if curve.unit))
    first = acquired[0] if acquired else None
    standards = samples.find("Standards")
    meta = {
        "format": "bioplex_xml",
        "instrument": "",
        "software": "Bio-Plex Manager",
        "software_version": root.get("BioPlexManagerVersion", "")
        or (first.software_version if first else ""),
        "serial_number": first.serial_number if first else "",
        "batch": (first.plate_id if first else "") or _text(root, "NativeDocumentName"),
        "run_time": min((a.time for a in acquired if a.time), default=""),
        "kit_lot": _text(root, "AssayLotID")
        or (standards.get("StdLotName", "").strip() if standards is not None else ""),
        "unit": "; ".join(units),
    }
    return ParsedPlate(wells=wells, meta=meta, vendor=vendor, warnings=notes.as_tuple())


class _AnalyteNames:
    """Each bead region's analyte, `<AnalyteName> (<RegionNumber>)`. The document names
    every region many times (each reading, each group's statistics, its curve); a name
    or region that disagrees with what the rest of the document says is read as the
    rest says, and `odd` lists it for a warning."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        by_region: dict[str, Counter[str]] = {}
        by_name: dict[str, Counter[str]] = {}
        for region, name in pairs:
            by_region.setdefault(region, Counter())[name] += 1
            by_name.setdefault(name, Counter())[region] += 1
        self._name_of = {region: c.most_common(1)[0][0] for region, c in by_region.items()}
        self._region_of = {name: c.most_common(1)[0][0] for name, c in by_name.items()}
        self.odd: dict[tuple[str, str], str] = {}

    def _settled(self, region: str) -> bool:
        """A region whose usual name is usually in that region."""
        return self._region_of.get(self._name_of.get(region, "")) == region

    def label(self, region: str, name: str) -> str:
        if self._settled(region):
            settled = _analyte(self._name_of[region], region)
        elif self._settled(home := self._region_of.get(name, "")):
            settled = _analyte(name, home)
        else:
            return _analyte(name, region)
        if settled != _analyte(name, region):
            self.odd.setdefault((region, name), settled)
        return settled

    def note(self, notes: Warnings) -> None:
        _note_listed(
            [
                f"region {region or '(none)'} named {name!r}, read as {settled!r}"
                for (region, name), settled in self.odd.items()
            ],
            "analyte names or bead regions that disagree with the rest of the document",
            notes,
        )


def _compose(
    groups: list[SampleGroup],
    acquired: list[Acquisition],
    names: _AnalyteNames,
    columns: int,
    signal: str,
    notes: Warnings,
) -> tuple[
    ColumnTable,
    list[tuple[str, str | None, str, str]],
    tuple[np.ndarray, np.ndarray, np.ndarray],
]:
    """The wells of every group's readings, the per-well vendor rows, and the evidence
    for the concentrations' basis (concentration, expected, dilution of standards and
    controls)."""
    beads = {(a.well, region): count for a in acquired for region, count in a.bead_counts}
    blank_means = _blank_means(groups, names)
    records: list[dict[str, Any]] = []
    vendor_rows: list[tuple[str, str | None, str, str]] = []
    evidence: list[tuple[float, float, float]] = []
    seen: dict[tuple[str, str], str] = {}
    twice: list[str] = []
    sampling: list[str] = []
    invalid: list[str] = []
    misnumbered: dict[str, str] = {}
    for group in groups:
        role, level = group.role()
        name = group.description or group.label
        stats = {names.label(a.region, a.name): a for a in group.analytes}
        for reading in group.readings:
            analyte = names.label(reading.region, reading.name)
            if is_whole(reading.number) and int(reading.number) != _well_number(
                reading.well, columns
            ):
                misnumbered[reading.well] = reading.number
            key = (reading.well, analyte)
            if key in seen:
                twice.append(f"{reading.well} {analyte} ({seen[key]} and {group.label})")
                continue
            seen[key] = group.label
            group_stats = stats.get(analyte)
            background = group_stats.background if group_stats else None
            if background is None:
                background = 0.0 if role == Role.BLANK else blank_means.get(analyte, 0.0)
            flags = []
            if reading.outlier not in ("", "None"):
                flags.append(VENDOR_MASKED)
            if reading.code != "0":
                flags.append(VENDOR_SAMPLING_ERROR)
                what = SAMPLING_ERRORS.get(reading.code, "unknown code")
                sampling.append(f"{reading.well} {analyte}: {reading.code} ({what})")
            if not reading.valid:
                invalid.append(f"{reading.well} {analyte}")
            expected = group_stats.expected if group_stats else math.nan
            # Bio-Plex writes 0 for an expected concentration never entered.
            if role not in (Role.STANDARD, Role.CONTROL) or not expected > 0:
                expected = math.nan
            records.append(
                {
                    "well": reading.well,
                    "analyte": analyte,
                    "role": role,
                    "name": name,
                    "level": level,
                    "expected": expected,
                    "dilution": group.dilution,
                    "text": reading.text,
                    "valid": reading.valid,
                    "background": background,
                    "beads": beads.get((reading.well, reading.region)),
                    "flags": ";".join(flags),
                }
            )
            if reading.obs_text:
                vendor_rows.append((analyte, reading.well, "concentration", reading.obs_text))
                evidence.append((_number(reading.obs_text), expected, group.dilution))
            if group_stats and group_stats.obs_text:
                vendor_rows.append(
                    (analyte, reading.well, "mean_concentration", group_stats.obs_text)
                )
    _note_listed(
        [f"{well} (WellNumber {number})" for well, number in misnumbered.items()],
        f"member wells whose WellNumber is not their RowNo and ColNo on a plate of "
        f"{columns} columns; they are read at RowNo and ColNo",
        notes,
    )
    _note_listed(twice, "wells listed in two groups; the first group's reading is read", notes)
    _note_listed(
        sampling, "Bio-Plex reports sampling errors (flagged vendor_sampling_error)", notes
    )
    _note_listed(
        invalid, "Bio-Plex marks these readings not valid; they are read without a signal", notes
    )
    found = np.array(evidence, dtype=float).reshape(-1, 3)
    return _wells(records, signal), vendor_rows, (found[:, 0], found[:, 1], found[:, 2])


def _blank_means(groups: list[SampleGroup], names: _AnalyteNames) -> dict[str, float]:
    """Per analyte, the mean FI of the blank wells (Bio-Plex's background)."""
    values: dict[str, list[float]] = {}
    for group in groups:
        if group.role()[0] == Role.BLANK:
            for reading in group.readings:
                value = _number(reading.text)
                if reading.valid and math.isfinite(value):
                    values.setdefault(names.label(reading.region, reading.name), []).append(value)
    return {analyte: float(np.mean(found)) for analyte, found in values.items()}


def _wells(records: list[dict[str, Any]], signal: str) -> ColumnTable:
    """The wells of the readings' records (`_compose`), as columns."""

    def column(name: str) -> list[Any]:
        return [record[name] for record in records]

    texts = [str(text) for text in column("text")]
    tokens, values = classify_texts(texts)
    # A reading Bio-Plex marks not valid is no measurement, whatever number it shows.
    invalid = ~np.array(column("valid"), dtype=bool)
    tokens[invalid] = "not_reported"
    values[invalid] = np.nan
    if signal == "net_mfi":
        values = values - np.array(column("background"), dtype=float)
    role = column("role")
    name = objects(column("name"))
    sample_id = name.copy()
    sample_id[np.array([r not in (Role.SAMPLE, Role.CONTROL) for r in role], dtype=bool)] = None
    return wells_columns(
        len(records),
        well=objects(column("well")),
        analyte=objects(column("analyte")),
        role=objects(role),
        sample_name=name,
        sample_id=sample_id,
        level=pd.array(column("level"), dtype="Int64"),
        expected_conc=np.array(column("expected"), dtype=float),
        dilution=np.array(column("dilution"), dtype=float),
        signal=values,
        signal_kind=SIGNAL_COLUMNS[signal],
        bead_count=pd.array(column("beads"), dtype="Int64"),
        raw_text=np.array(texts, dtype=object),
        token=tokens,
        flags=objects(column("flags")),
    )


def _vendor(
    rows: list[tuple[str, str | None, str, str]], unit_of: dict[str, str], basis: str
) -> ColumnTable:
    """Bio-Plex's results: a concentration in its analyte's unit and on `basis`."""
    table = vendor_rows(rows)
    is_conc = [row[2] in ("concentration", "mean_concentration") for row in rows]
    table.columns["unit"] = objects(
        [unit_of.get(row[0]) if conc else None for row, conc in zip(rows, is_conc, strict=True)]
    )
    table.columns["basis"] = objects([basis if conc else None for conc in is_conc])
    return table


def _note_listed(items: list[str], what: str, notes: Warnings) -> None:
    if items:
        shown = "; ".join(items[:_MOST_LISTED])
        more = f" and {len(items) - _MOST_LISTED} more" if len(items) > _MOST_LISTED else ""
        notes.add(f"{what}: {shown}{more}")


def _note_acquisition(
    wells: np.ndarray, acquired: list[Acquisition], whole: bool, notes: Warnings
) -> None:
    if not whole:
        return
    if not acquired:
        notes.add(
            "the export has no Wells element: bead counts, acquisition times and the "
            "instrument's serial number are not in it"
        )
        return
    listed = set(wells.tolist())
    recorded = sorted(listed & {a.well for a in acquired}, key=well_order)
    if len(recorded) < len(listed):
        shown = ", ".join(recorded[:_MOST_LISTED]) + ("..." if len(recorded) > _MOST_LISTED else "")
        notes.add(
            f"the Wells element records the acquisition of {len(recorded)} of the "
            f"{len(listed)} wells ({shown}); the others have no bead count"
        )
    stray = sorted({a.well for a in acquired} - listed, key=well_order)
    if stray:
        notes.add(
            f"wells {', '.join(stray[:_MOST_LISTED])} were acquired but belong to no group "
            "of Samples; they are not read: give them a role in Bio-Plex Manager"
        )


def _note_curves(labels: dict[Curve, str], notes: Warnings) -> None:
    """One warning per reason Bio-Plex gives for the curves it could not fit."""
    by_error: dict[str, list[str]] = {}
    for curve, analyte in labels.items():
        if curve.error:
            by_error.setdefault(curve.error, []).append(analyte)
    for error, analytes in by_error.items():
        notes.add(
            f"Bio-Plex Manager fitted no standard curve for {len(analytes)} analyte(s) "
            f"({listed(analytes, _MOST_LISTED)}): {error.rstrip('.')}"
        )


def _read(source: Source, options: ReadOptions) -> list[ParsedPlate]:
    return [read_bioplex_xml(source.text, source.file, options.signal)]


def _recognise(source: Source) -> bool:
    return looks_like_bioplex_xml(source.text)


BIOPLEX_XML: Final = Format(
    name="bioplex_xml",
    described="a Bio-Plex Manager XML export",
    software="Bio-Rad Bio-Plex Manager (XML)",
    export="`.xml` document export",
    versions="6.2",
    plate_map="optional",
    recognised_by="an XML document whose root is `BioPlexManager`, or a piece of one",
    kinds=("xml",),
    recognise=_recognise,
    read=_read,
)
