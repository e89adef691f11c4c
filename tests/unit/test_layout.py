import numpy as np
import pandas as pd

from assaypipe.layout import add_flags, annotate_wells, is_usable
from tests.conftest import wells_frame

SHEET = pd.DataFrame({"sample_id": ["P01-BL"], "subject_id": ["P01"], "visit": ["baseline"]})
ALIASES = pd.DataFrame({"alias": ["MCP-1"], "analyte": ["CCL2"], "display": ["CCL2"]})


def test_annotate_maps_aliases_and_flags_wells():
    wells = wells_frame(
        [
            {"well": "A1", "analyte_raw": "MCP-1 (53)", "sample_id": "P01-BL", "signal": 100.0},
            {"well": "A2", "analyte_raw": "IL-99", "sample_id": "P01-BL", "signal": 100.0},
            {"well": "A3", "analyte_raw": "MCP-1", "sample_id": "X9", "signal": 100.0},
            {
                "well": "A4",
                "analyte_raw": "MCP-1",
                "sample_id": "P01-BL",
                "bead_count": 12,
                "signal": 100.0,
            },
            {"well": "A5", "analyte_raw": "MCP-1", "sample_id": "P01-BL", "signal": np.nan},
            {
                "well": "A6",
                "analyte_raw": "MCP-1",
                "role": "standard",
                "sample_id": None,
                "signal": 100.0,
                "bead_count": None,
            },
        ]
    )
    out = annotate_wells(wells, SHEET, ALIASES, min_bead_count=35)
    assert out["analyte"].tolist() == ["CCL2", "IL-99", "CCL2", "CCL2", "CCL2", "CCL2"]
    assert out["flags"].tolist() == [
        "",
        "unknown_analyte",
        "unknown_sample",
        "low_beads",
        "no_signal",
        "",
    ]
    assert is_usable(out["flags"]).tolist() == [True, True, True, False, False, True]


def test_add_flags_sorts_and_deduplicates():
    flags = pd.Series(["b", "", "a;b"])
    out = add_flags(flags, [True, True, True], "a")
    assert out.tolist() == ["a;b", "a", "a;b"]
