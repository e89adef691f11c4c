"""Golden summaries of every real export in ../shared/realdata.

Each export has a small summary kept in tests/golden/realdata/<path>.json: whether it is
read or refused (and why), and per plate its format, run facts, wells, analytes, role
and token counts, a checksum of the signals, the vendor results' quantities and the
warnings. A test fails when a file's summary changes; after a change that is meant,
regenerate them with

    pytest tests/unit/test_realdata_golden.py --update-golden

and read the diff of tests/golden/ before committing it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from assaypipe.errors import InputError
from assaypipe.readers import PlateRead, read_exports
from tests.conftest import REALDATA, REPO

GOLDEN = REPO / "tests" / "golden" / "realdata"
FORMATS_DOC = REPO / "docs" / "formats.md"
CORPUS_START = "<!-- corpus: written by pytest --update-golden from tests/golden -->\n"
CORPUS_END = "<!-- end of corpus -->\n"
# Files beside the exports that are not exports.
_NOT_EXPORTS = {"README.md", ".gitignore", "LICENSE.txt"}


def exports() -> list[str]:
    """Every export under ../shared/realdata, as a path relative to it."""
    if not REALDATA.is_dir():
        return []
    return sorted(
        str(path.relative_to(REALDATA))
        for path in REALDATA.rglob("*")
        if path.is_file()
        and path.name not in _NOT_EXPORTS
        and not path.name.startswith(("LICENSE", "drLumi_DESCRIPTION"))
    )


def summarise(relative: str) -> dict[str, Any]:
    """What reading the export gives, in a form small enough to keep and to read."""
    path = REALDATA / relative
    data = path.read_bytes()
    summary: dict[str, Any] = {"file": relative, "sha256": hashlib.sha256(data).hexdigest()}
    try:
        plates = read_exports(path, settle_seconds=0)
    except InputError as error:
        summary.update(status="refused", reason=_local(str(error), path))
        return summary
    summary.update(status="read", plates=[_plate(plate, path) for plate in plates])
    return summary


def _plate(plate: PlateRead, path: Path) -> dict[str, Any]:
    wells = plate.wells
    meta = {
        key: value
        for key, value in plate.meta.items()
        if key not in ("sha256", "source_file") and value
    }
    vendor = plate.vendor
    return {
        "meta": meta,
        "wells": int(wells["well"].nunique()),
        "rows": len(wells),
        "analytes": sorted(map(str, wells["analyte"].unique())),
        "roles": _counts(wells.drop_duplicates(["well"])["role"]),
        "tokens": _counts(wells["token"]),
        "signal_kinds": sorted(map(str, wells["signal_kind"].unique())),
        "units": sorted(map(str, wells["unit"].unique())),
        "signals": _checksum(wells),
        "flags": _counts(wells.loc[wells["flags"] != "", "flags"]),
        "vendor": _counts(vendor["quantity"] + " " + vendor["basis"].fillna("-").astype(str)),
        "warnings": [_local(warning, path) for warning in plate.warnings],
    }


def _counts(column: Any) -> dict[str, int]:
    return dict(sorted(Counter(map(str, column)).items()))


def _checksum(wells: Any) -> str:
    """A digest of every signal by well and analyte, to 6 significant digits (so a
    platform's last-bit difference in parsing does not count as a change)."""
    lines = sorted(
        f"{well}|{analyte}|{'' if math.isnan(signal) else f'{signal:.6g}'}"
        for well, analyte, signal in zip(
            wells["well"], wells["analyte"], wells["signal"].astype(float), strict=True
        )
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def _local(message: str, path: Path) -> str:
    """A message without the path of this checkout."""
    return message.replace(str(path), "<file>")


def golden_path(relative: str) -> Path:
    return GOLDEN / f"{relative}.json"


EXPORTS = exports()


@pytest.mark.realdata
@pytest.mark.parametrize("relative", EXPORTS or ["(none)"])
def test_reading_each_real_export_gives_its_golden_summary(
    relative: str, realdata: Path, request: pytest.FixtureRequest
) -> None:
    summary = summarise(relative)
    path = golden_path(relative)
    if request.config.getoption("--update-golden"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", "utf-8")
    assert path.is_file(), f"no golden summary for {relative}: run pytest --update-golden"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert summary == expected, (
        f"reading {relative} gives another summary than tests/golden; if the change is "
        "meant, run pytest --update-golden and review the diff"
    )


def corpus_markdown() -> str:
    """The corpus section of docs/formats.md, from the golden summaries: per folder the
    files read and refused, the plates and wells read by format, and every refusal."""
    summaries = [
        json.loads(path.read_text(encoding="utf-8")) for path in sorted(GOLDEN.rglob("*.json"))
    ]
    folders: dict[str, list[dict[str, Any]]] = {}
    for summary in summaries:
        folders.setdefault(_folder(summary["file"]), []).append(summary)
    lines = [
        "| folder | files | read | refused | plates read | wells read | formats |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for folder, group in folders.items():
        read = [s for s in group if s["status"] == "read"]
        plates = [plate for s in read for plate in s["plates"]]
        formats = Counter(plate["meta"].get("format", "?") for plate in plates)
        lines.append(
            f"| `{folder}` | {len(group)} | {len(read)} | {len(group) - len(read)} | "
            f"{len(plates)} | {sum(p['wells'] for p in plates)} | "
            + ", ".join(f"{name} {n}" for name, n in sorted(formats.items()))
            + " |"
        )
    refused = [s for s in summaries if s["status"] == "refused"]
    lines += ["", f"Refused ({len(refused)}), each with its reason:", ""]
    lines += [f"- `{s['file']}`: {s['reason'].removeprefix('<file>: ')}" for s in refused]
    return "\n".join(lines) + "\n"


def _folder(relative: str) -> str:
    parts = relative.split("/")
    return "/".join(parts[:2]) if parts[0] == "allotropy" else parts[0]


def test_formats_doc_lists_the_corpus_as_the_golden_summaries_read_it(
    request: pytest.FixtureRequest,
) -> None:
    text = FORMATS_DOC.read_text(encoding="utf-8")
    assert CORPUS_START in text and CORPUS_END in text, "docs/formats.md has no corpus section"
    before, rest = text.split(CORPUS_START, 1)
    current, after = rest.split(CORPUS_END, 1)
    wanted = corpus_markdown()
    if request.config.getoption("--update-golden"):
        FORMATS_DOC.write_text(before + CORPUS_START + wanted + CORPUS_END + after, "utf-8")
        current = wanted
    assert current == wanted, "docs/formats.md's corpus section is stale: pytest --update-golden"


@pytest.mark.realdata
def test_every_golden_summary_has_its_export(realdata: Path) -> None:
    kept = sorted(str(p.relative_to(GOLDEN))[: -len(".json")] for p in GOLDEN.rglob("*.json"))
    assert kept == EXPORTS
