"""The shared words (assaypipe.vocabulary) against the places that repeat them: the
tables' constants, the modules' lists of choices, the config schema's enum lists,
config/README.md, the QC presets and the data dictionary."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

import pytest
import yaml

from assaypipe import classify, layout, readers, samples, study, tables
from assaypipe.curves import fit, model, plate, vendor
from assaypipe.qc.rules import presets, rules_for
from assaypipe.qc.westgard import RULES as WESTGARD_RULES
from assaypipe.responders import RULES as RESPONDER_RULES
from assaypipe.stats import correlations, frames, ranks
from assaypipe.vocabulary import (
    CURVE_PARAMS,
    Censor,
    CensorPolicy,
    CensorSubstitute,
    Covariate,
    CurveModel,
    CurvePreset,
    CurveStatus,
    ExactMethod,
    Extrapolation,
    FeatureKind,
    GuideBy,
    HodgesLehmannMethod,
    LimitsRule,
    LodMethod,
    LuminexSignal,
    ModelSelection,
    OutlierRule,
    QcPreset,
    QcStatus,
    ResponderRule,
    Role,
    SampleFlag,
    SeriesKind,
    SubfolderPolicy,
    VendorBasis,
    Weighting,
    WellFlag,
    WestgardRule,
    ZeroMethod,
    values,
)

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "assaypipe"
DICTIONARY = (ROOT / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
CONFIG_README = (ROOT / "config" / "README.md").read_text(encoding="utf-8")
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
    assert tables.CENSORS == ["<LLOQ", ">ULOQ", "<LOD"] == list(values(Censor))
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


# The config schema's enum lists, by config key, and the class that owns each.
SCHEMA_ENUMS: dict[str, type[StrEnum]] = {
    "plates_subfolders": SubfolderPolicy,
    "wells.luminex_signal": LuminexSignal,
    "curves.models": CurveModel,
    "curves.weighting": Weighting,
    "curves.selection": ModelSelection,
    "curves.lod_method": LodMethod,
    "curves.limits": LimitsRule,
    "curves.outliers": OutlierRule,
    "curves.extrapolation": Extrapolation,
    "curves.preset": CurvePreset,
    "combine.censored": CensorSubstitute,
    "prepost.zero_method": ZeroMethod,
    "prepost.below_lloq": CensorPolicy,
    "prepost.sensitivity": CensorPolicy,
    "stats.exact": ExactMethod,
    "stats.hodges_lehmann": HodgesLehmannMethod,
    "responders.rule": ResponderRule,
    "correlations.covariates": Covariate,
    "classify.features": FeatureKind,
    "qc.preset": QcPreset,
    "qc.guide_by": GuideBy,
    "qc.westgard": WestgardRule,
}
# Enum lists that are no vocabulary of ours: the spellings YAML and the command line
# give a boolean, and the curve statuses (tested above against CurveStatus).
NOT_A_VOCABULARY = {"run.strict", "qc.overrides.curve_status_warn"}


def _schema_enums(node: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, list]]:
    """Every enum list of the config schema, by the config key it constrains."""
    if isinstance(node, dict):
        if "enum" in node:
            yield ".".join(p for p in path if p not in {"properties", "items"}), node["enum"]
        for key, child in node.items():
            yield from _schema_enums(child, (*path, str(key)))


def test_every_schema_enum_list_has_an_owner_in_the_vocabulary() -> None:
    listed = {key for key, _ in _schema_enums(SCHEMA)}
    assert listed - NOT_A_VOCABULARY == set(SCHEMA_ENUMS)


@pytest.mark.parametrize("key", sorted(SCHEMA_ENUMS))
def test_schema_enum_list_is_its_vocabulary_in_order(key: str) -> None:
    found = dict(_schema_enums(SCHEMA))[key]
    assert tuple(found) == values(SCHEMA_ENUMS[key])


@pytest.mark.parametrize("key", sorted(SCHEMA_ENUMS))
def test_config_readme_names_every_choice_of_a_schema_enum(key: str) -> None:
    rows = [line for line in CONFIG_README.splitlines() if line.startswith(f"| `{key}` |")]
    assert rows, f"config/README.md: no row for `{key}`"
    quoted = _quoted(rows[0])
    # a list default reads `[a, b, c]`
    quoted |= {
        item.strip()
        for text in quoted
        if text.startswith("[")
        for item in text.strip("[]").split(",")
    }
    assert set(values(SCHEMA_ENUMS[key])) <= quoted


@pytest.mark.parametrize(
    ("table", "column", "vocabulary"),
    [
        ("wells", "role", Role),
        ("wells", "censor", Censor),
        ("curves", "weighting", Weighting),
        ("samples", "censor", Censor),
        ("subjects", "rule", ResponderRule),
        ("vendor_results", "basis", VendorBasis),
        ("qc.parquet", "status", QcStatus),
        ("qc_verdicts", "verdict", QcStatus),
        ("levey_jennings", "kind", SeriesKind),
    ],
)
def test_data_dictionary_names_every_value_of_a_column(
    table: str, column: str, vocabulary: type[StrEnum]
) -> None:
    assert set(values(vocabulary)) <= _quoted(_dictionary_row(table, column))


def test_data_dictionary_names_every_westgard_rule() -> None:
    assert set(values(WestgardRule)) <= _quoted(_dictionary_row("levey_jennings", "rules"))


def test_the_modules_lists_of_choices_are_the_vocabulary() -> None:
    assert values(SubfolderPolicy) == study.SUBFOLDER_CHOICES
    assert values(LuminexSignal) == readers.SIGNALS
    assert tuple(fit.MODELS) == values(CurveModel)
    assert tuple(fit.WEIGHTINGS) == values(Weighting)
    assert values(OutlierRule) == fit.OUTLIER_RULES
    assert values(LimitsRule) == plate.LIMIT_RULES
    assert values(LodMethod) == plate.LOD_METHODS
    assert values(Extrapolation) == plate.EXTRAPOLATION
    assert values(CurvePreset) == vendor.PRESETS
    assert tuple(samples.CENSORED_POLICIES) == values(CensorSubstitute)
    assert values(CensorPolicy) == frames.BELOW_LLOQ_POLICIES
    assert values(ZeroMethod) == ranks.ZERO_METHODS
    assert values(ExactMethod) == ranks.EXACT_METHODS
    assert values(HodgesLehmannMethod) == ranks.HODGES_LEHMANN_METHODS
    assert values(ResponderRule) == RESPONDER_RULES
    assert values(Covariate) == correlations.COVARIATES
    assert values(FeatureKind) == classify.FEATURE_KINDS
    assert tuple(sorted(presets())) == tuple(sorted(values(QcPreset)))
    assert values(WestgardRule) == WESTGARD_RULES
    assert list(values(VendorBasis)) == tables.VENDOR_BASES


# Words of the tables that are also names of something else, and where: a module may
# spell them there. The sheet check `unknown_analyte` (sheet_checks.parquet `check`) is
# not the well flag.
HOMONYMS: dict[str, set[str]] = {
    "unknown_analyte": {"sheet_checks.py", "tables.py"},
}


# A comment marking, on its line or the line above, a string that is the instrument's
# word (a column header, a group name it writes) rather than ours.
THEIR_WORD = "# their word"


def _docstrings(tree: ast.AST) -> set[int]:
    bodies = [
        node.body
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    return {
        id(body[0].value)
        for body in bodies
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    }


def _names_a_column_or_key(node: ast.Constant, parents: dict[int, ast.AST]) -> bool:
    """``frame["converged"]``, ``frame[["a", "converged"]]``, ``{"converged": ...}``,
    ``row.get("converged")``, ``match.group("blank")``: a column, a key or a regex
    group named by the word, not the word as a value."""
    parent = parents.get(id(node))
    if isinstance(parent, ast.List | ast.Tuple) and isinstance(
        parents.get(id(parent)), ast.Subscript
    ):
        parent_of_list = parents[id(parent)]
        return isinstance(parent_of_list, ast.Subscript) and parent_of_list.slice is parent
    if isinstance(parent, ast.Subscript):
        return parent.slice is node
    if isinstance(parent, ast.Dict):
        return any(key is node for key in parent.keys)
    if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute):
        return parent.func.attr in {"get", "group"} and bool(parent.args) and parent.args[0] is node
    return False


def _spelt(vocabulary: type[StrEnum]) -> list[str]:
    """Where a module of the package writes a value of ``vocabulary`` as a string
    constant (docstrings aside) rather than as its member."""
    words = set(values(vocabulary))
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name == "vocabulary.py":
            continue
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        parents = {
            id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
        }
        docstrings = _docstrings(tree)
        lines = source.splitlines()
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and node.value in words):
                continue
            if id(node) in docstrings or path.name in HOMONYMS.get(node.value, set()):
                continue
            if _names_a_column_or_key(node, parents):
                continue
            # the export's or a message's word that happens to be ours, marked so
            marked = lines[node.lineno - 1] + (lines[node.lineno - 2] if node.lineno > 1 else "")
            if THEIR_WORD in marked:
                continue
            found.append(f"{name}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return found


@pytest.mark.parametrize(
    "vocabulary", [WellFlag, Role, Censor, CurveStatus, QcStatus, SeriesKind, VendorBasis]
)
def test_no_module_spells_a_word_of_the_tables_itself(vocabulary: type[StrEnum]) -> None:
    # A word is written as its member (Role.STANDARD, QcStatus.FAIL), so a misspelt one
    # fails on import instead of matching nothing. Where the word names a column or a
    # key it may stay a string (frame["converged"]), and so may an export's own word
    # marked `# their word` (SoftMax's group name "Standards").
    found = _spelt(vocabulary)
    assert not found, f"{len(found)} spelt as strings:\n" + "\n".join(found)


def test_the_check_finds_a_spelt_word(tmp_path: Path) -> None:
    # the finder itself: a comparison with a literal is found, a column name is not
    source = 'x = frame[frame["role"] == "blank"]\ny = frame["converged"]\n'
    tree = ast.parse(source)
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    constants = [n for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    kept = [n.value for n in constants if not _names_a_column_or_key(n, parents)]
    assert kept == ["blank"]
