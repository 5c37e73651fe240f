"""Reading a scenario file's text into a mapping: YAML (``.yaml``/``.yml``) or JSON (``.json``).

YAML is read as YAML 1.1 except that ``12:00`` stays the string "12:00" (no base-60 numbers),
date-times stay strings, ``007`` stays the string "007" (no octal), and a key repeated in one
mapping is an error (in JSON too). Nothing here knows the scenario keys: :mod:`.load` validates
the mapping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..errors import ScenarioError
from .fields import show

__all__ = ["YamlLoader", "read_mapping"]


class YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader without base-60 numbers, octal ints and timestamps; repeated keys are errors."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=deep)
                try:
                    repeated = key in seen
                    seen.add(key)
                except TypeError:
                    continue
                if repeated:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"found the key {key!r} twice", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


_INT = re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?0b[0-1_]+)$")
_FLOAT = re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                    |\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$""", re.X)
_DROPPED = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}
YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
YamlLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
YamlLoader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"found the key {key!r} twice in one object")
        result[key] = value
    return result


def _parse_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_repeated_keys)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, "
                            f"column {exc.colno}", source=str(path)) from None
    except ValueError as exc:
        raise ScenarioError(f"{path}: not valid JSON: {exc}", source=str(path)) from None


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        return yaml.load(text, Loader=YamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = " ".join(str(exc.problem or exc.context or "syntax error").split())
        raise ScenarioError(f"{path}: not valid YAML: {what}{where}", source=str(path)) from None
    except yaml.YAMLError as exc:
        what = " ".join(str(exc).split())
        raise ScenarioError(f"{path}: not valid YAML: {what}", source=str(path)) from None


def read_mapping(path: Path) -> Mapping[str, Any]:
    """The top-level mapping of a YAML or JSON file (JSON for a ``.json`` suffix, else YAML).

    Raises
    ------
    ScenarioError
        The file is missing, unreadable, not valid YAML/JSON, empty, or not a mapping.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: file not found", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}", source=str(path)) from None
    data = _parse_json(text, path) if path.suffix.lower() == ".json" else _parse_yaml(text, path)
    if data is None:
        raise ScenarioError(f"{path}: the file is empty (expected a mapping of scenario keys)",
                            source=str(path))
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{path}: expected a mapping of scenario keys at the top, found "
                            f"{show(data)[:80]}", source=str(path), value=data)
    return data
