"""YAML files read within bounds: alias bombs, huge values and broken files are one
short sentence, within the memory budget."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from assaypipe.errors import InputError
from assaypipe.yamlfile import MAX_CONFIG_BYTES, MAX_TEXT, check_config_file, load_yaml
from tests import hostile

REPO = Path(__file__).resolve().parents[2]
# The longest message any refusal here may print: a sentence and a short excerpt.
MOST = 300


def laughs(levels: int = 9, mapping: bool = True) -> str:
    """The "billion laughs": `levels` levels of ten aliases each (10^9 values at 9)."""
    lines = ['a0: &a0 "lol"']
    for i in range(1, levels + 1):
        items = [f"k{j}: *a{i - 1}" if mapping else f"*a{i - 1}" for j in range(10)]
        lines.append(f"a{i}: &a{i} " + ("{%s}" if mapping else "[%s]") % ", ".join(items))
    return "\n".join(lines) + "\n"


def refused(path: Path, **bounds: object) -> InputError:
    with pytest.raises(InputError) as raised:
        load_yaml(path, "config file", MAX_CONFIG_BYTES, **bounds)  # type: ignore[arg-type]
    text = str(raised.value)
    assert text.startswith(f"{path}: ") and "\n" not in text and len(text) < MOST, text
    return raised.value


def test_the_config_bomb_is_refused_within_budget(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    config = (REPO / "config" / "config.yaml").read_text(encoding="utf-8")
    path.write_text(config + laughs(), encoding="utf-8")
    code = f"from assaypipe.yamlfile import check_config_file\ncheck_config_file({str(path)!r})"
    run = hostile.peak_rss(code)
    lines = config.count("\n")
    assert run.error == (
        # a4 (10^4 "lol"s and their keys, 73 kB) is the first value beyond the bound.
        f"InputError: {path}: line {lines + 5}: the YAML expands to more than 64 KB (its "
        "anchors and aliases repeat values); a config file is a few lines of YAML: write "
        "each value out"
    )
    assert run.peak_mb < hostile.read_budget_mb(), run


def test_a_kit_file_bomb_is_refused_within_budget(tmp_path: Path) -> None:
    path = tmp_path / "kit.yaml"
    path.write_text(laughs(mapping=False) + "standards: {FGF: *a9}\n", encoding="utf-8")
    assert path.stat().st_size < 1024
    run = hostile.peak_rss(f"from assaypipe.kits import read_kit\nread_kit({str(path)!r})")
    assert run.error.startswith(f"InputError: {path}: line 2: uses a YAML alias (*name)")
    assert run.peak_mb < hostile.read_budget_mb(), run


def test_anchors_within_the_bounds_are_read(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(laughs(levels=2), encoding="utf-8")
    loaded = load_yaml(path, "config file", MAX_CONFIG_BYTES)
    # Reference: YAML's own safe loader, without bounds.
    assert loaded == yaml.safe_load(laughs(levels=2))
    # 10,000 "lol"s in lists: 40 kB expanded.
    path.write_text(laughs(levels=4, mapping=False), encoding="utf-8")
    expected = yaml.safe_load(laughs(levels=4, mapping=False))
    assert load_yaml(path, "config file", MAX_CONFIG_BYTES) == expected
    path.write_text(laughs(levels=5, mapping=False), encoding="utf-8")
    assert refused(path).where == "line 6"


def test_the_shipped_config_and_kits_are_within_the_bounds() -> None:
    check_config_file(REPO / "config" / "config.yaml")
    for kit in sorted((REPO / "config" / "kits").glob("*.yaml")):
        load_yaml(kit, "kit file", MAX_CONFIG_BYTES, aliases=False)


def test_an_alias_inside_its_own_value_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("a: &a [1, *a]\n", encoding="utf-8")
    assert "stands for the value it is in" in refused(path).message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # A value of 60 kB (within the file's bound) is not quoted back.
        ("samples: " + "x" * 60_000 + "\n", "a key or value is 60,000 characters long"),
        ("x" * 60_000 + ": 1\n", "a key or value is 60,000 characters long"),
        # A syntax error on a 60 kB line: YAML's own message quotes the line.
        ('a: "' + "x" * 60_000 + "\n", "is not readable YAML"),
        ("a: !!python/object/apply:os.system [ls]\n", "is not readable YAML"),
        ("a: " + "[" * 10_000 + "\n", "is not readable YAML"),
        ("a: 1\n" + "b: 2\n" * 20_000, "larger than 64 KB"),
    ],
)
def test_every_refusal_is_one_short_sentence(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(content, encoding="utf-8")
    assert message in refused(path).message


@pytest.mark.parametrize(
    ("content", "found"),
    [("", "found nothing"), ("# all commented out\n", "found nothing"), ("- a\n", "found ['a']")],
)
def test_a_config_file_that_holds_no_settings_is_refused(
    tmp_path: Path, content: str, found: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(
        InputError,
        match=f"config.yaml: expected settings written as key: value "
        f"lines, {re.escape(found)}; start from",
    ):
        check_config_file(path)


def test_a_config_path_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.mkdir()
    with pytest.raises(InputError, match=r"config\.yaml: the config file cannot be read"):
        check_config_file(path)


@pytest.mark.parametrize("what", ["config file", "kit file"])
def test_a_named_pipe_is_refused_unopened(tmp_path: Path, what: str) -> None:
    # Opening it would wait for a writer forever.
    path = tmp_path / "file.yaml"
    os.mkfifo(path)
    with pytest.raises(InputError, match=f"file.yaml: the {what} is a named pipe or a device"):
        if what == "config file":
            check_config_file(path)
        else:
            load_yaml(path, what, MAX_CONFIG_BYTES, aliases=False)


def test_a_value_at_the_text_bound_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"a: {'x' * MAX_TEXT}\n", encoding="utf-8")
    assert load_yaml(path, "config file", MAX_CONFIG_BYTES) == {"a": "x" * MAX_TEXT}


def test_the_workflow_checks_its_config_before_snakemake_reads_it() -> None:
    # Snakemake's merge of `configfile:` copies every value an alias stands for: the
    # check must come first (`snakemake -n` on the bomb: one line, 165 MB, 2 s).
    snakefile = (REPO / "Snakefile").read_text(encoding="utf-8")
    assert snakefile.index('include: "workflow/rules/config_check.smk"') < snakefile.index(
        "configfile:"
    )
    check = (REPO / "workflow" / "rules" / "config_check.smk").read_text(encoding="utf-8")
    assert 'check_config_file("config/config.yaml")' in check
