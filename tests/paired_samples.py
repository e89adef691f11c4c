"""Small samples tables for the statistics' tests: a few subjects at two visits."""

from __future__ import annotations

import numpy as np
import pandas as pd


def paired_samples(values: dict[str, dict[str, tuple[float, float]]]) -> pd.DataFrame:
    """Samples table from {analyte: {subject: (baseline, post)}}; NaN leaves a sample
    out, a value below 1 is `<LLOQ` (LLOQ 1, ULOQ 1000)."""
    rows = [
        {
            "sample_id": f"{subject}-{visit}",
            "subject_id": subject,
            "visit": visit,
            "analyte": analyte,
            "concentration": value,
            "unit": "pg/mL",
            "censor": "<LLOQ" if value < 1 else None,
            "lloq": 1.0,
            "uloq": 1000.0,
        }
        for analyte, subjects in values.items()
        for subject, pair in subjects.items()
        for visit, value in zip(("baseline", "post"), pair, strict=True)
        if not np.isnan(value)
    ]
    return pd.DataFrame(rows)
