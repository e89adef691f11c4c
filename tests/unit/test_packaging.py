"""environment.yml (conda users) pins the same versions as requirements.lock (pip users)."""

import re
from pathlib import Path

import yaml

from tests.conftest import REPO


def lock_pins() -> dict[str, str]:
    text = (REPO / "requirements.lock").read_text()
    return {
        m.group(1).lower(): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", text, flags=re.M)
    }


def test_environment_yml_in_step_with_lock():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pins = lock_pins()
    conda = [d for d in env["dependencies"] if isinstance(d, str) and "=" in d]
    assert len(conda) > 10
    for dep in conda:
        name, version = dep.split("=", 1)
        if name == "python":
            assert version == "3.11"
            continue
        assert pins.get(name.lower()) == version, f"{name}: env {version}, lock {pins.get(name)}"


def test_every_direct_dependency_is_locked():
    pyproject = (REPO / "pyproject.toml").read_text()
    pins = lock_pins()
    names = re.findall(r'^\s+"([A-Za-z0-9_.-]+)[<>=\[",]', pyproject, flags=re.M)
    assert "snakemake" in names
    for name in names:
        assert name.lower() in pins, name


def mirrored_test(module: Path) -> str:
    """The test file of a module: qc/westgard.py -> test_qc_westgard.py, a package's
    __init__.py -> test_<package>.py."""
    parts = module.with_suffix("").parts
    return "test_" + "_".join(parts[:-1] if parts[-1] == "__init__" else parts) + ".py"


def test_every_module_has_its_test_file():
    # tests/unit mirrors the package, so a module's tests are found without searching
    package = REPO / "src" / "assaypipe"
    modules = [p.relative_to(package) for p in package.rglob("*.py")]
    missing = sorted(
        f"{module} -> tests/unit/{mirrored_test(module)}"
        for module in modules
        if module != Path("__init__.py")
        and not (REPO / "tests" / "unit" / mirrored_test(module)).is_file()
    )
    assert len(modules) > 40
    assert not missing, "modules without their test file:\n" + "\n".join(missing)
