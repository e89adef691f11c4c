"""assaypipe.settings against the config schema and the bundled default config: one
field per schema key, the same default in all three places, a removed key refused."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml

from assaypipe.settings import (
    CurveSettings,
    Settings,
    _convert,
    _Section,
    removed_key_message,
)
from assaypipe.vocabulary import CensorSubstitute, CurveModel, QcPreset, Weighting

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text("utf-8"))
DEFAULT_CONFIG = yaml.safe_load(
    (ROOT / "src/assaypipe/data/default_config.yaml").read_text("utf-8")
)


def _keys(schema: dict[str, Any], section: type[Any], path: str = "") -> list[tuple[str, Any, Any]]:
    """(dotted key, schema of the key, the field's type) for every leaf key of a section."""
    hints = typing.get_type_hints(section)
    out = []
    for name, sub in schema["properties"].items():
        assert name in hints, f"{path}{name} is in the schema but {section.__name__} has no field"
        hint = hints[name]
        if isinstance(hint, type) and issubclass(hint, _Section):
            out += _keys(sub, hint, f"{path}{name}.")
        else:
            out.append((f"{path}{name}", sub, (section, name, hint)))
    return out


LEAVES = _keys(SCHEMA, Settings)


def _default(section: type[Any], name: str) -> Any:
    return next(f.default for f in dataclasses.fields(section) if f.name == name)


def test_every_field_is_a_schema_key() -> None:
    def fields(section: type[Any], schema: dict[str, Any]) -> None:
        assert [f.name for f in dataclasses.fields(section)] == list(schema["properties"]), (
            f"{section.__name__}'s fields are not the schema's keys in its order"
        )
        for name, hint in typing.get_type_hints(section).items():
            if isinstance(hint, type) and issubclass(hint, _Section):
                fields(hint, schema["properties"][name])

    fields(Settings, SCHEMA)


def test_the_schema_has_about_sixty_keys() -> None:
    # A guard on the walk above: it sees the leaves, not just the sections.
    assert len(LEAVES) > 60


@pytest.mark.parametrize(("key", "schema", "where"), LEAVES, ids=[leaf[0] for leaf in LEAVES])
def test_field_default_is_the_schema_default(key: str, schema: dict[str, Any], where: Any) -> None:
    section, name, hint = where
    assert "default" in schema, f"{key} has no default in the schema"
    assert _convert(schema["default"], hint) == _default(section, name), key


@pytest.mark.parametrize(("key", "schema", "where"), LEAVES, ids=[leaf[0] for leaf in LEAVES])
def test_field_default_is_the_default_config(key: str, schema: dict[str, Any], where: Any) -> None:
    section, name, hint = where
    value: Any = DEFAULT_CONFIG
    for part in key.split("."):
        assert part in value, f"data/default_config.yaml does not set {key}"
        value = value[part]
    assert _convert(value, hint) == _default(section, name), key


def test_the_default_config_builds_the_defaults() -> None:
    assert Settings.from_config(DEFAULT_CONFIG) == Settings() == Settings.from_config({})
    # the demo study's config is the bundled default but for its guide sets of 8 plates
    # (12 runs per kit: 8 guide the last 4)
    shipped = Settings.from_config(yaml.safe_load((ROOT / "config/config.yaml").read_text("utf-8")))
    assert shipped.qc.guide_plates == 8
    assert shipped == dataclasses.replace(
        Settings(), qc=dataclasses.replace(Settings().qc, guide_plates=8)
    )


def test_a_removed_key_is_found_wherever_the_config_has_it() -> None:
    config = {"qc": {"overrides": [{"analyte": "*"}, {"analyte": "NfL", "bead_count_fail": 1}]}}
    with pytest.raises(ValueError, match=r"^qc\.overrides\.1\.bead_count_fail was removed"):
        Settings.from_config(config)


def test_a_config_is_converted_to_the_fields_types() -> None:
    config = {
        "curves": {"models": ["4PL"], "weighting": "none", "lod_k": 2},
        "combine": {"censored": "lloq_sqrt2"},
        "responders": {"sustained_month": None},
        "correlations": {"pairs": [["HGF", "IL8"]]},
        "qc": {"preset": "milliplex", "overrides": [{"analyte": "*", "cv_limit": 0.3}]},
        "run": {"strict": "True"},
        "stats": {"primary_family": {"group": "responder"}},
    }
    settings = Settings.from_config(config)
    assert settings.curves.models == (CurveModel.FOUR_PL,)
    assert settings.curves.weighting is Weighting.NONE
    assert settings.curves.lod_k == 2.0 and isinstance(settings.curves.lod_k, float)
    assert settings.combine.censored is CensorSubstitute.LLOQ_SQRT2
    assert settings.responders.sustained_month is None
    assert settings.correlations.pairs == (("HGF", "IL8"),)
    assert settings.qc.preset is QcPreset.MILLIPLEX
    assert settings.qc.overrides[0]["cv_limit"] == 0.3
    assert settings.run.strict is True
    assert (settings.stats.primary_family.analysis, settings.stats.primary_family.group) == (
        "prepost",
        "responder",
    )


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        CurveSettings().lod_k = 2.0  # type: ignore[misc]


def test_an_unknown_choice_or_key_is_refused() -> None:
    with pytest.raises(ValueError, match="'1/x'"):
        Settings.from_config({"curves": {"weighting": "1/x"}})
    with pytest.raises(ValueError, match="unknown setting"):
        Settings.from_config({"curves": {"weightng": "1/y"}})


def test_the_removed_bead_count_fail_is_refused_naming_its_replacement() -> None:
    config = {"qc": {"overrides": [{"analyte": "CCL2", "bead_count_fail": 20}]}}
    with pytest.raises(ValueError) as caught:
        Settings.from_config(config)
    message = str(caught.value)
    assert message.startswith("qc.overrides.0.bead_count_fail was removed")
    assert "wells.min_bead_count" in message and "\n" not in message
    assert removed_key_message(["qc", "overrides", "3", "cv_limit"]) is None
