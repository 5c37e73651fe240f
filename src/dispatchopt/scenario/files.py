"""Reading a scenario file's text into a mapping: YAML (``.yaml``/``.yml``) or JSON (``.json``).

YAML is read as YAML 1.1 except that ``12:00`` stays the string "12:00" (no base-60 numbers),
date-times stay strings, ``007`` stays the string "007" (no octal), and a key repeated in one
mapping is an error (in JSON too). Nothing here knows the scenario keys: :mod:`.load` validates
the mapping.

Limits (a hostile or broken file is refused in a moment, with one line): a YAML document may
expand, its aliases followed, to at most ``MAX_YAML_NODES`` nodes (a "billion laughs" alias bomb
of a few hundred bytes expands to 10^9) and may not refer to itself; an integer has at most
``MAX_INT_DIGITS`` digits; nesting deeper than Python can read is refused too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..errors import ScenarioError
from .fields import brief, show

__all__ = ["MAX_INT_DIGITS", "MAX_YAML_NODES", "YamlLoader", "read_mapping"]

MAX_YAML_NODES = 5_000_000     # ~250 nodes a job: 20,000 jobs; an alias bomb is refused
MAX_INT_DIGITS = 100


def _expanded_nodes(root: yaml.Node, limit: int) -> int | None:
    """The nodes of the document with every alias followed, or None once over ``limit``.

    Counted without expanding: each distinct node once, memoised (aliases share node objects).
    A node that contains itself raises ``ValueError``.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            active.discard(key)
            total = 1 + sum(sizes[id(child)] for child in children)
            if total > limit:
                return None
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in active:
            raise ValueError(f"an alias refers to a node that contains it (line {node.start_mark.line + 1})")
        active.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in active:
                raise ValueError(f"an alias refers to a node that contains it "
                                 f"(line {child.start_mark.line + 1})")
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


class YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader without base-60 numbers, octal ints and timestamps; repeated keys are errors;
    alias expansion and integer length are limited (see the module doc)."""

    def get_single_data(self):
        node = self.get_single_node()
        if node is None:
            return None
        try:
            size = _expanded_nodes(node, MAX_YAML_NODES)
        except ValueError as exc:
            raise yaml.YAMLError(f"refused: {exc}") from None
        if size is None:
            raise yaml.YAMLError(f"refused: with its aliases followed the document has more than "
                                 f"{MAX_YAML_NODES:,} nodes (an alias bomb?)")
        return self.construct_document(node)

    def construct_yaml_int(self, node):
        digits = sum(ch.isdigit() for ch in str(node.value))
        if digits > MAX_INT_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"an integer of {digits} digits (at most {MAX_INT_DIGITS})", node.start_mark)
        return super().construct_yaml_int(node)

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
                        f"found the key {brief(key)} twice", key_node.start_mark)
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
YamlLoader.add_constructor("tag:yaml.org,2002:int", YamlLoader.construct_yaml_int)


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"found the key {brief(key)} twice in one object")
        result[key] = value
    return result


def _parse_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_repeated_keys)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, "
                            f"column {exc.colno}", source=str(path)) from None
    except ValueError as exc:
        what = str(exc) if len(str(exc)) <= 200 else str(exc)[:200] + "..."
        raise ScenarioError(f"{path}: not valid JSON: {what}", source=str(path)) from None
    except RecursionError:
        raise ScenarioError(f"{path}: not valid JSON: nested too deeply", source=str(path)) from None


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
    except RecursionError:
        raise ScenarioError(f"{path}: not valid YAML: nested too deeply", source=str(path)) from None


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
