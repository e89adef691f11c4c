"""YAML files a person writes (the config file, kit files), read within bounds.

YAML's safe loader runs no code, but a few lines of anchors and aliases (``&a``,
``*a``) can stand for billions of values, which whatever walks the result (a config
merge, a schema check, an error message echoing a value) then expands. So a file is
read only when it is at most ``max_bytes`` long, expands to no more than that either
(each value counted as its characters, every alias as what it stands for: so anything
that echoes part of it echoes no more than the file could hold written out), and holds
no key or value longer than ``MAX_TEXT`` characters; every refusal is one sentence
naming the file and line, quoting at most a short excerpt of what it found.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "c.yaml"
>>> _ = path.write_text("a: &x [1, 2]\\nb: *x\\n")
>>> load_yaml(path, "config file", 1024)
{'a': [1, 2], 'b': [1, 2]}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml

from assaypipe.errors import InputError, excerpt

__all__ = ["MAX_CONFIG_BYTES", "MAX_TEXT", "check_config_file", "load_yaml"]

# A key or value is a name, a number, a path or a short sentence.
MAX_TEXT: Final = 1_000
# The config file is a few kB (the demo's: 1.4 kB).
MAX_CONFIG_BYTES: Final = 64 * 1024


class _Refused(yaml.YAMLError):
    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.mark = mark


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader, counting each value's characters as often as aliases repeat it."""

    max_size = MAX_CONFIG_BYTES
    aliases = True

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        # Expanded size of each composed node, by identity (an alias is the same node).
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            if not self.aliases:
                raise _Refused("alias", event.start_mark)
            anchored = self.anchors.get(event.anchor)
            if anchored is not None and id(anchored) not in self._sizes:
                # An alias inside the value it names: a value that contains itself.
                raise _Refused("recursive", event.start_mark)
        node = super().compose_node(parent, index)
        if node is None or id(node) in self._sizes:
            return node
        if isinstance(node, yaml.ScalarNode):
            if len(node.value) > MAX_TEXT:
                raise _Refused(f"text:{len(node.value)}", node.start_mark)
            size = 1 + len(node.value)
        elif isinstance(node, yaml.MappingNode):
            size = 1 + sum(self._sizes[id(k)] + self._sizes[id(v)] for k, v in node.value)
        else:
            size = 1 + sum(self._sizes[id(item)] for item in node.value)
        if size > self.max_size:
            raise _Refused("size", node.start_mark)
        self._sizes[id(node)] = size
        return node


def load_yaml(
    path: str | Path,
    what: str,
    max_bytes: int,
    aliases: bool = True,
    as_written: tuple[str, ...] = (),
    lists_as_written: tuple[str, ...] = (),
) -> Any:
    """The YAML document of the `what` (e.g. "kit file") at `path`; InputError when it
    is missing, a named pipe or a device (not opened), a folder, longer than `max_bytes`,
    not UTF-8, not YAML, or beyond the bounds (with `aliases=False`, any alias is
    refused).

    `as_written`: keys of the top-level mapping whose value, when a single word or
    number (not a list or mapping, not left empty), is kept as the text written. YAML
    reads `lot: 0012345` as the octal number 5349, `1_000` as 1000 and `1:30` as 90; a
    lot number must stay as the certificate prints it. `lists_as_written`: keys whose
    value, a single word or number or a list of them, is kept so (plate patterns).
    """
    path = Path(path)
    if path.exists() and not (path.is_file() or path.is_dir()):
        # Not opened: a named pipe would wait for a writer forever.
        raise InputError(path, f"the {what} is a named pipe or a device, not a file")
    try:
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputError(path, f"the {what} does not exist") from None
    except OSError as exc:
        raise InputError(path, f"the {what} cannot be read ({exc.strerror})") from None
    if len(data) > max_bytes:
        raise InputError(
            path,
            f"the {what} is larger than {max_bytes // 1024} KB; a {what} is a few lines of "
            "YAML: check it is the right file",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"is not UTF-8 text (byte {exc.start})") from None
    try:
        bounds = {"max_size": max_bytes, "aliases": aliases}
        loader = type("Loader", (_BoundedLoader,), bounds)(text)
        try:
            node = loader.get_single_node()
            document = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except _Refused as exc:
        refusal = _refusal(exc.problem, what, max_bytes)
        raise InputError(path, refusal, where=_line(exc.mark)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not YAML"
        raise InputError(path, f"is not readable YAML ({problem})", where=_line(mark)) from None
    except yaml.YAMLError as exc:
        raise InputError(path, f"is not readable YAML ({excerpt(str(exc), 200)})") from None
    except RecursionError:
        raise InputError(path, "is not readable YAML (nested too deeply)") from None
    kept = as_written + lists_as_written
    if kept and isinstance(node, yaml.MappingNode) and isinstance(document, dict):
        for key, value in node.value:
            if key.value not in kept:
                continue
            if isinstance(value, yaml.ScalarNode):
                document[key.value] = _written(value)
            elif (
                key.value in lists_as_written
                and isinstance(value, yaml.SequenceNode)
                and all(isinstance(item, yaml.ScalarNode) for item in value.value)
            ):
                document[key.value] = [_written(item) for item in value.value]
    return document


def _written(node: yaml.ScalarNode) -> str | None:
    """A scalar's text as written; None where it was left empty (or written null)."""
    return node.value if node.tag != "tag:yaml.org,2002:null" else None


def check_config_file(path: str | Path) -> None:
    """Check the workflow's config file within the bounds before Snakemake reads it: its
    merge of the config copies every value an alias stands for. A folder, a named pipe
    (not opened), and a file whose YAML is not a mapping of settings (an empty file, a
    list, a word), are refused too (Snakemake's own sentences name no file, or give a
    traceback). A missing file is left for Snakemake to report."""
    if not Path(path).exists():
        return
    config = load_yaml(path, "config file", MAX_CONFIG_BYTES)
    if not isinstance(config, dict):
        found = "nothing" if config is None else excerpt(config)
        raise InputError(
            path,
            f"expected settings written as key: value lines, found {found}; start from the "
            "demo's config/config.yaml (config/README.md)",
        )


def _line(mark: yaml.Mark | None) -> str | None:
    return f"line {mark.line + 1}" if mark is not None else None


def _refusal(problem: str, what: str, max_bytes: int) -> str:
    if problem == "alias":
        return (
            f"uses a YAML alias (*name); {what}s may not use anchors and aliases: "
            "write each value out"
        )
    if problem == "recursive":
        return "a YAML alias (*name) stands for the value it is in, which never ends"
    if problem.startswith("text:"):
        length = int(problem.removeprefix("text:"))
        return (
            f"a key or value is {length:,} characters long; a {what}'s keys and values are "
            f"names, numbers and paths of at most {MAX_TEXT:,} characters"
        )
    return (
        f"the YAML expands to more than {max_bytes // 1024} KB (its anchors and aliases "
        f"repeat values); a {what} is a few lines of YAML: write each value out"
    )
