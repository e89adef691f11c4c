"""The shared words (assaypipe.vocabulary) against the places that repeat them: the
tables' constants, the config schema's enum lists, the QC presets and the data
dictionary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from assaypipe import layout, samples, tables, vocabulary
from assaypipe.curves import fit, model
from assaypipe.qc.rules import presets, rules_for
from assaypipe.vocabulary import (
    CURVE_PARAMS,
    Censor,
    CensorPolicy,
    CurveStatus,
    QcStatus,
    Role,
    SampleFlag,
    WellFlag,
    values,
)

ROOT = Path(__file__).resolve().parents[2]
DICTIONARY = (ROOT / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text("utf-8"))


def _dictionary_row(table: str, column: str) -> str:
    """The data dictionary's row of ``column`` in the section of ``table``."""
    section = DICTIONARY.split(f"## {table}", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith(f"| `{column}` |")]
    assert rows, f"docs/data_dictionary.md: no `{column}` row under {table}"
    return rows[0]


def _quoted(text: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", text))


def test_tables_constants_are_the_vocabulary() -> None:
    assert list(values(Role)) == tables.WELL_ROLES
    assert tables.ROLES == ["standard", "blank", "control", "sample"]
    assert tables.CENSORS == ["<LLOQ", ">ULOQ", "<LOD", ">ULOD"] == list(values(Censor))
    assert tables.QC_STATUSES == ["pass", "warn", "fail"] == list(values(QcStatus))
    assert model.PARAM_NAMES == CURVE_PARAMS == ("a", "b", "c", "d", "g")
    assert fit.STATUS_HOOK == "hook" and fit.STATUS_CONVERGED == CurveStatus.CONVERGED


def test_sample_flags_stay_sorted_for_their_bit_masks() -> None:
    # samples.FLAGS gives bit i of a flag mask; the joined text must come out sorted.
    assert list(samples.FLAGS) == sorted(values(SampleFlag))


def test_every_flag_that_makes_a_well_unusable_is_a_well_flag() -> None:
    assert set(values(WellFlag)) >= layout.UNUSABLE_FLAGS
    assert {"vendor_masked"} == layout.MASKED_FLAGS


def test_data_dictionary_names_every_well_flag_sample_flag_and_curve_status() -> None:
    assert set(values(WellFlag)) <= _quoted(_dictionary_row("wells", "flags"))
    assert set(values(SampleFlag)) <= _quoted(_dictionary_row("samples", "flags"))
    assert set(values(CurveStatus)) <= _quoted(_dictionary_row("curves", "status"))


# Each enum list of the config schema (a dotted path; "[]" is a list's items) and the
# vocabulary enum it spells.
SCHEMA_ENUMS = {
    "plates_subfolders": vocabulary.PlatesSubfolders,
    "wells.luminex_signal": vocabulary.LuminexSignal,
    "curves.models[]": vocabulary.CurveModel,
    "curves.weighting": vocabulary.Weighting,
    "curves.lod_method": vocabulary.LodMethod,
    "curves.limits": vocabulary.LimitRule,
    "curves.outliers": vocabulary.OutlierRule,
    "curves.extrapolation": vocabulary.Extrapolation,
    "curves.preset": vocabulary.CurvePreset,
    "prepost.zero_method": vocabulary.ZeroMethod,
    "prepost.below_lloq": vocabulary.CensorPolicy,
    "prepost.sensitivity[]": vocabulary.CensorPolicy,
    "stats.exact": vocabulary.ExactMethod,
    "stats.hodges_lehmann": vocabulary.HodgesLehmannMethod,
    "responders.rule": vocabulary.ResponderRule,
    "correlations.covariates[]": vocabulary.Covariate,
    "classify.features[]": vocabulary.FeatureKind,
    "qc.preset": vocabulary.QcPreset,
    "qc.guide_by": vocabulary.GuideBy,
    "qc.westgard[]": vocabulary.WestgardRule,
}


def _schema_at(path: str) -> dict[str, object]:
    node = SCHEMA
    for part in path.split("."):
        items = part.endswith("[]")
        node = node["properties"][part.removesuffix("[]")]
        if items:
            node = node["items"]
    return node


@pytest.mark.parametrize("path", sorted(SCHEMA_ENUMS))
def test_schema_enum_lists_are_the_vocabulary(path: str) -> None:
    assert _schema_at(path)["enum"] == list(values(SCHEMA_ENUMS[path]))


def test_combine_censored_is_the_censor_policies_that_give_a_value() -> None:
    listed = _schema_at("combine.censored")["enum"]
    assert listed == [p.value for p in CensorPolicy if p is not CensorPolicy.EXCLUDE]


def test_curves_selection_is_aic_or_a_curve_model() -> None:
    assert _schema_at("curves.selection")["enum"] == ["aic", *values(vocabulary.CurveModel)]


def test_every_string_enum_of_the_schema_is_checked_against_the_vocabulary() -> None:
    def enums(node: object, path: str) -> list[str]:
        if not isinstance(node, dict):
            return []
        found = [path] if isinstance(node.get("enum"), list) and path else []
        for name, sub in (node.get("properties") or {}).items():
            found += enums(sub, f"{path}.{name}".lstrip("."))
        if "items" in node:
            found += enums(node["items"], f"{path}[]")
        return found

    skipped = {
        "combine.censored",
        "curves.selection",
        "run.strict",
        "qc.overrides[].curve_status_warn[]",
    }
    assert set(enums(SCHEMA, "")) - skipped == set(SCHEMA_ENUMS)


def test_schema_curve_status_warn_lists_every_status_but_converged() -> None:
    rule = SCHEMA["properties"]["qc"]["properties"]["overrides"]["items"]["properties"]
    listed = rule["curve_status_warn"]["items"]["enum"]
    assert set(listed) == set(values(CurveStatus)) - {CurveStatus.CONVERGED}


@pytest.mark.parametrize("preset", sorted(presets()))
def test_presets_warn_only_on_known_statuses(preset: str) -> None:
    assert set(presets()[preset]["curve_status_warn"]) <= set(values(CurveStatus))


def test_a_misspelt_curve_status_is_refused_not_turned_into_a_failure() -> None:
    with pytest.raises(ValueError, match=r"unknown curve status.*'hok'"):
        rules_for("IL-6", "ich_m10", [{"analyte": "*", "curve_status_warn": ["hok"]}])
    assert rules_for("IL-6", "ich_m10", [{"analyte": "*", "curve_status_warn": ["hook"]}])


def test_no_module_spells_a_well_flag_itself() -> None:
    # A flag is written as its member (WellFlag.LOW_BEADS), so a misspelt one fails on
    # import instead of flagging nothing. Docstring examples may show the values.
    package = ROOT / "src" / "assaypipe"
    spelt = re.compile("|".join(rf'"{re.escape(flag)}"' for flag in values(WellFlag)))
    found = [
        f"{path.relative_to(package)}:{number}: {line.strip()}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "vocabulary.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if spelt.search(line)
        and not line.lstrip().startswith(">>>")
        # the sheet check of that name (sheet_checks.parquet `check`) is not the flag
        and not (path.name in {"sheet_checks.py", "tables.py"} and '"unknown_analyte"' in line)
    ]
    assert not found, "\n".join(found)
