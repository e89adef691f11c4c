"""Hostile inputs made small: generators of files that unpack or expand to gigabytes,
and the peak memory of reading one, measured in a child process.

Nothing big is written: a workbook part that inflates to 3 GB is 3 MB of a deflate
stream made by repeating one compressed megabyte (after a full flush a deflate
block does not refer to what came before, so the copies stay valid).
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# A regression should fail the test, not take the machine: the child's address space
# is bounded well above the budget.
_CHILD_ADDRESS_SPACE = 4 * 1024**3


def chunk_mem_mb() -> int:
    """The `mem_mb` the workflow declares for the job that reads exports."""
    rule = (REPO / "workflow" / "rules" / "chunk.smk").read_text(encoding="utf-8")
    common = (REPO / "workflow" / "rules" / "common.smk").read_text(encoding="utf-8")
    asked = re.search(r"resources:\s*\*\*(\w+)", rule)
    assert asked is not None, "chunk.smk: no `resources: **NAME` line"
    found = re.search(rf"^{asked.group(1)} = \{{\"mem_mb\": (\d+)", common, flags=re.M)
    assert found is not None, f"common.smk: no {asked.group(1)} with a mem_mb"
    return int(found.group(1))


def read_budget_mb() -> int:
    """What reading one file may take: half the job's memory, the rest holding the
    chunk's tables of up to a few hundred plates and the curve fits."""
    return chunk_mem_mb() // 2


@dataclass(frozen=True)
class Run:
    error: str
    peak_mb: float
    seconds: float


def peak_rss(code: str) -> Run:
    """Run `code` (which may raise) in a fresh interpreter: its error's text, its peak
    resident memory (the child's ru_maxrss, imports included) and its time."""
    program = f"""
import json, resource, time
resource.setrlimit(resource.RLIMIT_AS, ({_CHILD_ADDRESS_SPACE}, {_CHILD_ADDRESS_SPACE}))
start = time.perf_counter()
error = ""
try:
{_indented(code)}
except Exception as exc:
    error = f"{{type(exc).__name__}}: {{exc}}"
seconds = time.perf_counter() - start
# The child's own peak as the kernel counted it (KiB on Linux), imports included.
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"error": error, "seconds": seconds, "peak": peak}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=REPO, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return Run(result["error"], result["peak"], result["seconds"])


def _indented(code: str) -> str:
    return "\n".join("    " + line for line in code.strip().splitlines())


def read_within_budget(path: Path) -> Run:
    """Read the export at `path` in a fresh interpreter (:func:`peak_rss`), checking that
    it stayed within :func:`read_budget_mb`."""
    run = peak_rss(read_export_code(path))
    assert run.peak_mb < read_budget_mb(), run
    return run


def read_export_code(path: Path) -> str:
    return (
        f"from assaypipe.readers import read_exports\nread_exports({str(path)!r}, settle_seconds=0)"
    )


# --- workbooks ------------------------------------------------------------------------


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(), len(data), zlib.crc32(data)


def _repeated(head: bytes, piece: bytes, times: int, tail: bytes) -> tuple[bytes, int]:
    """A raw deflate stream of head + piece * times + tail, and its unpacked size."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    opening = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    middle = packer.compress(piece) + packer.flush(zlib.Z_FULL_FLUSH)
    closing = packer.compress(tail) + packer.flush()
    return opening + middle * times + closing, len(head) + len(piece) * times + len(tail)


def _zip(parts: dict[str, tuple[bytes, int, int]]) -> bytes:
    """A zip of already deflated parts: name -> (deflated, declared size, CRC-32)."""
    local, central = b"", b""
    for name, (packed, size, crc) in parts.items():
        encoded = name.encode()
        # Deflated (8), no flags, no date; the sizes as declared.
        fields = struct.pack("<HHHHIIIH", 0, 8, 0, 0, crc, len(packed), size, len(encoded))
        offset = len(local)
        local += struct.pack("<IH", 0x04034B50, 20) + fields + b"\0\0" + encoded + packed
        central += struct.pack("<IHH", 0x02014B50, 20, 20) + fields
        central += struct.pack("<HHHHII", 0, 0, 0, 0, 0, offset) + encoded
    count = len(parts)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), len(local), 0)
    return local + central + end


def _workbook(parts: dict[str, tuple[bytes, int, int]]) -> bytes:
    fixed = {
        "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
        "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets><sheet '
        'name="Plate" sheetId="1" r:id="rId1"/></sheets></workbook>'.encode(),
        "xl/_rels/workbook.xml.rels": b'<Relationships xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        b'Target="worksheets/sheet1.xml"/></Relationships>',
    }
    return _zip({**{name: _deflated(data) for name, data in fixed.items()}, **parts})


def shared_string_bomb(gigabytes: int = 3, declared: int | None = None) -> bytes:
    """An .xlsx of about 3 MB whose shared strings unpack to one string of `gigabytes`
    (declaring `declared` bytes instead of the truth when given). Its CRC is not
    computed (3 GB to sum): nothing honest reads that far."""
    sheet = f'<worksheet xmlns="{_MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
    sheet += "</row></sheetData></worksheet>"
    packed, size = _repeated(
        f'<sst xmlns="{_MAIN}"><si><t>'.encode(), b"a" * 2**20, gigabytes * 1024, b"</t></si></sst>"
    )
    return _workbook(
        {
            "xl/worksheets/sheet1.xml": _deflated(sheet.encode()),
            "xl/sharedStrings.xml": (packed, size if declared is None else declared, 0),
        }
    )


def sheet_of(row: bytes, rows: int, declared: int | None = None, with_crc: bool = True) -> bytes:
    """An .xlsx whose one sheet repeats `row` (a `<row>` element) `rows` times."""
    head, tail = f'<worksheet xmlns="{_MAIN}"><sheetData>'.encode(), b"</sheetData></worksheet>"
    packed, size = _repeated(head, row, rows, tail)
    crc = 0
    if with_crc:
        crc = zlib.crc32(head)
        for _ in range(rows):
            crc = zlib.crc32(row, crc)
        crc = zlib.crc32(tail, crc)
    return _workbook(
        {"xl/worksheets/sheet1.xml": (packed, size if declared is None else declared, crc)}
    )


def extra_parts(count: int, size: int) -> bytes:
    """A one-cell .xlsx with `count` more parts of `size` bytes each (CRC not computed)."""
    sheet = f'<worksheet xmlns="{_MAIN}"><sheetData><row><c><v>1</v></c></row></sheetData>'
    parts = {"xl/worksheets/sheet1.xml": _deflated((sheet + "</worksheet>").encode())}
    packed, unpacked = _repeated(b"", b" " * 2**20, size // 2**20, b" " * (size % 2**20))
    parts.update({f"xl/media/extra{n}.xml": (packed, unpacked, 0) for n in range(count)})
    return _workbook(parts)


def inline_text_cell(characters: int) -> bytes:
    return b'<row><c t="inlineStr"><is><t>' + b"a" * characters + b"</t></is></c></row>"


# --- text exports ---------------------------------------------------------------------


def xponent_wide(analytes: int, wells: int = 96) -> bytes:
    """An xPONENT CSV (the 2-plex fixture's header) whose Median block has `analytes`
    columns for `wells` wells."""
    fixture = REPO / "tests/data/exports/xponent/xponent31_2plex_resaved.csv"
    header = fixture.read_text(encoding="utf-8").split("DataType:")[0].rstrip()
    names = ",".join(f"Analyte {i}" for i in range(analytes))
    values = ",".join(["123"] * analytes)
    lines = [header, "DataType:,Median", f"Location,Sample,{names},Total Events"]
    lines += [
        f'"{i + 1}(1,{"ABCDEFGH"[i % 8]}{i // 8 + 1})",S{i},{values},400' for i in range(wells)
    ]
    lines += ["", "-- CRC --,,,,,", "CRC32: 1A2B3C4D,,,,,"]
    return ("\r\n".join(lines) + "\r\n").encode()


# --- a study holding every kind of hostile file at once ----------------------------------

LONG_ANALYTE = "A" * 300


def _luminex_lines(study: Path) -> list[str]:
    path = study / "resources" / "plates" / "luminex_4plex_P1.csv"
    return path.read_text(encoding="utf-8").split("\n")


def bad_bead_counts(lines: list[str], counts: list[str]) -> list[str]:
    """The simulated 4-plex export with the first MCP-1 counts of its Count block (the
    blank A1, then the standards B1, C1, ...) replaced by `counts`."""
    out = list(lines)
    start = out.index(next(line for line in out if line.startswith("DataType:,Count"))) + 2
    for offset, count in enumerate(counts):
        # "1(1,A1)",Background0,MCP-1,HGF,...: the quoted location holds one comma.
        parts = out[start + offset].split(",")
        parts[3] = count
        out[start + offset] = ",".join(parts)
    return out


BAD_COUNTS = ["-5", "1e12", "abc", "2.5", ""]


def hostile_study(root: Path) -> dict[str, str]:
    """Add to the simulated study at `root` one file of each hostile kind; returns the
    plates folder's files (relative paths) by kind. The simulated plates stay readable,
    so the workflow has a study to finish."""
    plates = root / "resources" / "plates"
    layouts = root / "resources" / "layouts"
    lines = _luminex_lines(root)
    files: dict[str, str] = {}

    def write(kind: str, name: str, data: bytes) -> None:
        path = plates / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        files[kind] = name

    write("empty", "empty.csv", b"")
    # Reproducible junk: bytes of a fixed pattern, NULs and high bytes included.
    write("binary", "junk.csv", bytes((i * 7919) % 256 for i in range(50_000)))
    xlsx = (REPO / "tests/data/exports/skanit/elisa_96_standard_curve.xlsx").read_bytes()
    write("truncated_xlsx", "truncated.xlsx", xlsx[: len(xlsx) // 2])
    write("zip_bomb_xlsx", "bomb.xlsx", shared_string_bomb(gigabytes=1))
    write("subfolder", "run2/luminex_4plex_P1.csv", "\n".join(lines).encode())
    write("hidden", ".hidden.csv", b"x\n")
    write("dot_csv", "..csv", b"x\n")
    write("lock", "~$lock.xlsx", b"x\n")
    write("readme", "README.txt", b"what is in this folder\n")
    write("ignored_suffix", "notes.md", b"# notes\n")
    # A multi-plate SoftMax file (Plate1, Plate2: sa_Plate1, sa_Plate2) beside a file
    # whose own name gives sa_Plate1 (in two chunks of 2: `assaypipe.study.chunk_of`).
    softmax = REPO / "tests/data/exports/softmax/softmax_two_plates_dual.txt"
    write("multi_plate_clash", "sa.txt", softmax.read_bytes())
    write("single_plate_clash", "sa_Plate1.csv", "\n".join(lines).encode())
    write("control_character", "ctrl\x07name.csv", b"who,what\nanna,\x1b[31mred\n")
    header = next(i for i, line in enumerate(lines) if line.startswith("Location,Sample,MCP-1"))
    long_name = list(lines)
    for i, line in enumerate(long_name):
        if i >= header and line.startswith("Location,Sample,MCP-1"):
            long_name[i] = line.replace("MCP-1", LONG_ANALYTE, 1)
    write("long_analyte", "long_analyte.csv", "\n".join(long_name).encode())
    elisa = (plates / "elisa_nfl_P1.txt").read_bytes()
    write("off_plate_map_row", "elisa_offmap.txt", elisa)
    plate_map = (layouts / "elisa_nfl_P1.csv").read_text(encoding="utf-8")
    (layouts / "elisa_offmap.csv").write_text(
        plate_map.rstrip("\n") + "\nI1,sample,P01-BL,,,1,NfL\n", encoding="utf-8"
    )
    write("bad_bead_counts", "beads.csv", "\n".join(bad_bead_counts(lines, BAD_COUNTS)).encode())
    return files
