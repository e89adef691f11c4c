"""The data dictionary and config README describe exactly what the code writes and reads."""

import re

import yaml

from assaypipe import tables
from tests.conftest import REPO


def documented_columns(section_title: str) -> list[str]:
    text = (REPO / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    section = text.split(f"## {section_title}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_0-9]+)` \|", section, flags=re.M)


def test_data_dictionary_lists_every_column_in_order():
    for title, schema in [
        ("wells.parquet", tables.WELLS),
        ("plates.parquet", tables.PLATES),
        ("curves.parquet", tables.CURVES),
        ("samples.parquet", tables.SAMPLES),
        ("subjects.parquet", tables.SUBJECTS),
        ("stats/*.parquet", tables.STATS),
        ("rejected.parquet", tables.REJECTED),
        ("vendor_results.parquet", tables.VENDOR_RESULTS),
        ("qc.parquet", tables.QC),
        ("qc_verdicts.parquet", tables.QC_VERDICTS),
        ("levey_jennings.parquet", tables.LEVEY_JENNINGS),
        ("exclusions.parquet", tables.EXCLUSIONS),
    ]:
        assert documented_columns(title) == list(schema.columns), title


def leaf_keys(schema, prefix=""):
    for key, spec in schema.get("properties", {}).items():
        if spec.get("type") == "object":
            yield from leaf_keys(spec, f"{prefix}{key}.")
        else:
            yield prefix + key


def test_config_readme_documents_every_config_key():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    readme = (REPO / "config" / "README.md").read_text(encoding="utf-8")
    readme = readme.split("## Keys", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_.]+)` \|", readme, flags=re.M))
    assert set(leaf_keys(schema)) == documented


def test_every_config_key_has_description_and_default():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    required = set(schema["required"])

    def walk(node, path):
        for key, spec in node.get("properties", {}).items():
            assert "description" in spec, f"{path}{key}"
            if not (path == "" and key in required):
                assert "default" in spec, f"{path}{key}"
            if spec.get("type") == "object":
                assert spec.get("additionalProperties") is False, f"{path}{key}"
                walk(spec, f"{path}{key}.")

    assert schema["additionalProperties"] is False
    walk(schema, "")


def test_bundled_default_config_matches_schema_defaults():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    config = yaml.safe_load((REPO / "src/assaypipe/data/default_config.yaml").read_text())
    for key, spec in schema["properties"].items():
        if spec.get("type") == "object":
            for sub, subspec in spec["properties"].items():
                assert config[key][sub] == subspec["default"], f"{key}.{sub}"
        else:
            assert config[key] == spec["default"], key


def test_format_tables_are_the_registry_s():
    from assaypipe.readers.registry import markdown_table

    for path, columns in [("README.md", "readme"), ("docs/formats.md", "docs")]:
        text = (REPO / path).read_text(encoding="utf-8")
        marker = f"<!-- format table: assaypipe formats --markdown {columns} -->\n"
        assert marker in text, path
        table = text.split(marker, 1)[1].split("\n\n", 1)[0] + "\n"
        assert table == markdown_table(columns), (
            f"{path}: the format table differs from the registry; replace it with the output "
            f"of `assaypipe formats --markdown {columns}`"
        )
