"""The checks the workflow runs on its config file and study sheets before any job.

Each problem is one line: the file, the line (and key or column), what is wrong and
what to do; the workflow prints them all and stops before a job runs, so a typo costs
seconds, not a run. Snakemake's own schema check would print the whole schema.

>>> config_problems({"chunks": {"size": 0}}, {"type": "object", "properties": {"chunks":
...     {"type": "object", "properties": {"size": {"type": "integer", "minimum": 1}}}}},
...     "config.yaml")
['config.yaml: chunks.size: 0 is less than the minimum of 1; correct it']
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import yaml

from assaypipe.errors import InputError, excerpt, not_a_file, shortened
from assaypipe.settings import DEFAULTS, removed_key_message

__all__ = [
    "MOST_PER_FILE",
    "config_problems",
    "read_command_line_values",
    "sheet_problems",
    "study_problems",
]

# Problems printed per file; a sheet with a bad column has one per row.
MOST_PER_FILE: Final = 10


def _schema(path: str | Path) -> dict[str, Any]:
    """One of the workflow's own schemas. They are safe-loaded by libyaml where PyYAML
    has it (ten times faster than the pure-Python loader; every workflow run, and every
    cluster job, loads them)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loaded: dict[str, Any] = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)
    return loaded


def _validator(schema: Mapping[str, Any], defaults: bool) -> Any:
    from jsonschema import Draft202012Validator, validators

    if not defaults:
        return Draft202012Validator(schema)
    plain = Draft202012Validator.VALIDATORS["properties"]

    def set_defaults(validator: Any, properties: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(name, copy.deepcopy(sub["default"]))
        yield from plain(validator, properties, instance, schema)

    return validators.extend(Draft202012Validator, {"properties": set_defaults})(schema)


def _lines(path: str | Path) -> Callable[[Sequence[str]], int | None]:
    """The line of a key path in a YAML file (None where it is not written there)."""
    try:
        root = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        root = None

    def line(keys: Sequence[str]) -> int | None:
        node, found = root, None
        for key in keys:
            if isinstance(node, yaml.SequenceNode) and key.isdigit() and int(key) < len(node.value):
                node = node.value[int(key)]
                found = node.start_mark.line + 1
                continue
            if not isinstance(node, yaml.MappingNode):
                return found
            for name, value in node.value:
                if isinstance(name, yaml.ScalarNode) and name.value == key:
                    found, node = name.start_mark.line + 1, value
                    break
            else:
                return found
        return found

    return line


def _given(overrides: Mapping[str, Any], keys: Sequence[str]) -> bool:
    """Whether the setting at ``keys`` (or a setting holding it) was given on the command
    line (``overrides``: the settings of Snakemake's ``--config``)."""
    node: Any = overrides
    for key in keys:
        if not isinstance(node, Mapping):
            return True
        if key not in node:
            return False
        node = node[key]
    return True


def read_command_line_values(
    config: dict[str, Any], overrides: Mapping[str, Any], schema: Mapping[str, Any] | str | Path
) -> None:
    """Snakemake reads a value nested in ``--config`` as text (``chunks={size: 4}`` gives
    size ``'4'``), where it reads a top-level one as a number or yes/no. Such a value,
    where the schema asks for a number or yes/no and the text is one in YAML, becomes
    that value in ``config`` (in place), as it would be written in config.yaml.

    >>> config = {"chunks": {"size": "4"}, "title": "5"}
    >>> schema = {"properties": {"chunks": {"properties": {"size": {"type": "integer"}}},
    ...     "title": {"type": "string"}}}
    >>> read_command_line_values(config, config, schema)
    >>> config
    {'chunks': {'size': 4}, 'title': '5'}
    """
    if not overrides:
        return
    if isinstance(schema, str | Path):
        schema = _schema(schema)
    validator = _validator(schema, defaults=False)
    for error in validator.iter_errors(copy.deepcopy(config)):
        keys = list(error.absolute_path)
        wanted = error.validator_value if error.validator == "type" else None
        if (
            not isinstance(error.instance, str)
            or len(keys) < 2
            or not _given(overrides, [str(key) for key in keys])
            or wanted is None
        ):
            continue
        try:
            value = yaml.safe_load(error.instance)
        except yaml.YAMLError:
            continue
        types = [wanted] if isinstance(wanted, str) else list(wanted)
        if isinstance(value, str) or not any(validator.is_type(value, t) for t in types):
            continue
        node: Any = config
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value


def config_problems(
    config: Mapping[str, Any],
    schema: Mapping[str, Any],
    config_file: str | Path,
    overrides: Mapping[str, Any] | None = None,
) -> list[str]:
    """The config's departures from its schema, one line each (a copy of the config is
    checked with the schema's defaults filled in, as the workflow uses it). A setting
    given on the command line (``overrides``, Snakemake's ``--config``) is named as
    coming from there, not from a line of the file."""
    file_line = _lines(config_file)

    def placed(keys: Sequence[str], message: str) -> tuple[int, str]:
        if overrides and _given(overrides, keys):
            return (0, str(InputError("--config", message)))
        return _placed(config_file, file_line(keys), message)

    checked = copy.deepcopy(dict(config))
    errors = _validator(schema, defaults=True).iter_errors(checked)
    problems: list[tuple[int, str]] = []
    for error in errors:
        keys = [str(p) for p in error.absolute_path]
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = sorted(error.schema.get("properties", {}))
            for name in sorted(set(map(str, error.instance)) - set(known)):
                where = [*keys, name]
                removed = removed_key_message(where)
                if removed:
                    problems.append(placed(where, removed))
                    continue
                problems.append(
                    placed(
                        where,
                        f"{shortened('.'.join(where))} is not a setting; correct its spelling "
                        f"or remove it (settings here: {', '.join(known)}; config/README.md)",
                    )
                )
            continue
        problems.append(placed(keys, _config_message(error, keys)))
    # In the file's order; a problem with no line (a missing key) last.
    return [text for _, text in sorted(problems, key=lambda p: p[0])]


def _config_message(error: Any, keys: list[str]) -> str:
    name = shortened(".".join(keys)) or "the config"
    if error.validator == "required":
        return f"{name}: {error.message}; add it (config/README.md)"
    found = excerpt(error.instance)
    if error.validator == "type":
        what = f"{found} is not of type {error.validator_value!r}"
    elif error.validator == "enum":
        choices = ", ".join(str(c) for c in error.validator_value)
        what = f"{found} is not one of {choices}"
    else:
        what = excerpt(error.message, 200).strip("'\"")
    about = (
        [shortened(str(error.schema["description"]), 160)] if "description" in error.schema else []
    )
    if "default" in error.schema:
        about.append(f"default {excerpt(error.schema['default'])}")
    setting = f" ({name}: {'; '.join(about)})" if about else ""
    return f"{name}: {what}; correct it{setting}"


def _placed(file: str | Path, line: int | None, message: str) -> tuple[int, str]:
    where = f"line {line}" if line else None
    return (line or 10**9, str(InputError(file, message, where=where)))


def sheet_problems(
    path: str | Path,
    schema: Mapping[str, Any] | None,
    reader: Callable[[str | Path], object] | None = None,
) -> list[str]:
    """A study sheet's problems, one line each: the reader's (`reader`, e.g.
    `sheets.read_samples`: missing columns, duplicate ids) and then each row checked
    against the sheet's schema, naming the line and the column (none without one)."""
    from assaypipe.sheets import check_sheet_size, read_text_table

    try:
        check_sheet_size(path)
        if reader is not None:
            reader(path)
        if schema is None:
            return []
        sheet = read_text_table(path)
    except InputError as exc:
        return [str(exc)]
    except FileNotFoundError:
        return [str(InputError(path, "the sheet does not exist; check the path in the config"))]
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        text = excerpt(str(exc), 200)
        return [str(InputError(path, f"is not a readable tab-separated sheet ({text})"))]
    sheet.columns = [str(c).strip() for c in sheet.columns]
    known = set(schema.get("properties", {}))
    problems = []
    if schema.get("additionalProperties") is False:
        extra = [c for c in sheet.columns if c not in known]
        if extra:
            problems.append(
                str(
                    InputError(
                        path,
                        f"unexpected column(s) {', '.join(_column_name(c) for c in extra[:5])}; "
                        f"the columns are {', '.join(sorted(known))}",
                        where="line 1",
                    )
                )
            )
            sheet = sheet[[c for c in sheet.columns if c in known]]
    missing = [c for c in schema.get("required", []) if c not in sheet.columns]
    if missing:
        header = f"missing column(s) {', '.join(missing)}; add them to the header"
        return [*problems, str(InputError(path, header, where="line 1"))]
    # Each column's distinct values checked once against the column's schema (the sheet
    # schemas constrain each cell on its own), each bad one named at its every row.
    from jsonschema import Draft202012Validator

    found: list[tuple[int, str]] = []
    for column in sheet.columns:
        check = Draft202012Validator(schema.get("properties", {})[column])
        cells = sheet[column].str.strip()
        hint = shortened(str(check.schema.get("description", "")), 160)
        for value in _suspect(cells, check.schema):
            errors = list(check.iter_errors(value))
            if not errors:
                continue
            message = f"column {column}: {excerpt(value)} is not valid"
            message += f"; expected {hint}" if hint else f" ({excerpt(errors[0].message, 160)})"
            for index in cells.index[(cells == value).to_numpy()].tolist():
                found.append((index, str(InputError(path, message, where=f"line {index + 2}"))))
    problems += [text for _, text in sorted(found, key=lambda item: item[0])]
    return problems


def _column_name(name: str) -> str:
    """A column as the sheet shows it: pandas names one whose header cell is empty
    ``Unnamed: 4``, which the sheet does not say."""
    unnamed = re.fullmatch(r"Unnamed: (\d+)", name)
    if unnamed:
        return f"column {int(unnamed.group(1)) + 1} (its header cell is empty)"
    return excerpt(name)


_SIMPLE = {"type", "description", "default", "pattern", "minLength", "enum"}


def _suspect(cells: pd.Series, schema: Mapping[str, Any]) -> list[str]:
    """The distinct values of a column that may break its schema: for a text column
    checked only by pattern, length and choices (every sheet column), those that do, found
    at once over the column (a sheet may have 100,000 rows); else every distinct value."""
    values = cells.drop_duplicates()
    if set(schema) - _SIMPLE or schema.get("type", "string") != "string":
        return [str(v) for v in values]
    bad = np.zeros(len(values), dtype=bool)
    if "pattern" in schema:
        pattern = re.compile(str(schema["pattern"]))
        bad |= np.array([pattern.search(v) is None for v in values.astype(str)], dtype=bool)
    if "minLength" in schema:
        bad |= (values.str.len() < int(schema["minLength"])).to_numpy(dtype=bool)
    if "enum" in schema:
        bad |= ~values.isin([str(choice) for choice in schema["enum"]]).to_numpy(dtype=bool)
    return [str(v) for v in values[bad]]


def study_problems(
    config: Mapping[str, Any],
    config_file: str | Path,
    schemas: str | Path,
    overrides: Mapping[str, Any] | None = None,
) -> list[str]:
    """Every problem of the config file and the study sheets it names, one line each,
    at most `MOST_PER_FILE` per file (then a line counting the rest). ``overrides``:
    the settings given on the command line (see :func:`config_problems`)."""
    # Each sheet: its columns and keys (the reader), then every row against its schema,
    # then, when those are right, the job's whole reading, which adds what no single
    # cell shows (a subject with a month twice, a month beyond a century).
    from assaypipe.sheets import (
        OUTCOME_COLUMNS,
        SUBJECT_COLUMNS,
        read_aliases,
        read_outcomes,
        read_samples,
        read_sheet,
        read_subjects,
    )

    def subject_columns(path: str | Path) -> object:
        return read_sheet(path, SUBJECT_COLUMNS, key="subject_id")

    def outcome_columns(path: str | Path) -> object:
        return read_sheet(path, OUTCOME_COLUMNS)

    schemas = Path(schemas)
    problems = _most(
        config_file,
        config_problems(config, _schema(schemas / "config.schema.yaml"), config_file, overrides),
    )
    if problems:
        # The sheets' paths come from the config: check them once it is right.
        return problems
    Reader = Callable[[str | Path], object]
    readers: dict[str, tuple[str, Reader, Reader | None]] = {
        "samples": ("samples.schema.yaml", read_samples, None),
        "subjects": ("subjects.schema.yaml", subject_columns, read_subjects),
        "outcomes": ("outcomes.schema.yaml", outcome_columns, read_outcomes),
        "analytes": ("analytes.schema.yaml", read_aliases, None),
    }
    for key, (schema, reader, whole) in readers.items():
        path = config.get(key)
        if not isinstance(path, str):
            continue
        if not path.strip():
            where = _lines(config_file)([key])
            message = f"{key} is empty; give the path of the sheet, e.g. config/{key}.tsv"
            problems.append(_placed(config_file, where, message)[1])
        elif not Path(path).exists():
            message = f"the sheet does not exist; create it or correct {key} in the config"
            problems.append(str(InputError(path, message)))
        elif (problem := not_a_file(path, "sheet")) is not None:
            problems.append(str(InputError(path, f"{problem}; correct {key} in the config")))
        else:
            found = sheet_problems(path, _schema(schemas / schema), reader)
            if not found and whole is not None:
                found = sheet_problems(path, None, whole)
            problems += _most(path, found)
    return problems + _exclusions_problems(config) + _kit_problems(config)


def _exclusions_problems(config: Mapping[str, Any]) -> list[str]:
    """The manual exclusions sheet's first problem, when it exists: read as the study
    job reads it, so that a wrong row stops the run before the plates are processed."""
    from assaypipe.exclusion_sheet import read_exclusions

    qc = config.get("qc")
    path = (qc if isinstance(qc, dict) else {}).get("exclusions", DEFAULTS.qc.exclusions)
    if not isinstance(path, str) or not path.strip() or not Path(path).exists():
        return []
    return sheet_problems(path, None, read_exclusions)


def _kit_problems(config: Mapping[str, Any]) -> list[str]:
    """Each kit file's problem (the first), read as the chunk jobs read it, so that a
    wrong kit file stops the run before the plates are processed rather than every
    chunk job on the same sentence. The files are those the workflow gives the jobs:
    ``*.yaml`` and ``*.yml`` in the ``qc.kits`` folder."""
    from assaypipe.kits import read_kit

    qc = config.get("qc")
    folder = (qc if isinstance(qc, dict) else {}).get("kits", DEFAULTS.qc.kits)
    if not isinstance(folder, str) or not Path(folder).is_dir():
        return []
    problems = []
    for path in sorted(Path(folder).glob("*.y*ml")):
        try:
            read_kit(path)
        except InputError as exc:
            problems.append(str(exc))
    return problems


def _most(file: str | Path, problems: list[str]) -> list[str]:
    if len(problems) <= MOST_PER_FILE:
        return problems
    more = len(problems) - MOST_PER_FILE
    return [*problems[:MOST_PER_FILE], f"{file}: ... and {more} more problems like these"]
