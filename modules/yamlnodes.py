"""YAML read with line numbers, and without YAML 1.1's surprises.

Content files are written by people, not programmers. PyYAML follows YAML 1.1, where a bare
`no`, `on` or `yes` becomes a boolean: an option key `no` would silently turn into `False`.
Reading through the node tree instead of `yaml.safe_load` lets the loader refuse such keys and
name the line of every problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

STR_TAG = "tag:yaml.org,2002:str"
TAG_NAMES = {
    "tag:yaml.org,2002:bool": "a yes/no value",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:null": "an empty value",
    "tag:yaml.org,2002:merge": "a merge key",
    "tag:yaml.org,2002:timestamp": "a date",
}


@dataclass
class Problem:
    line: int
    message: str


class YMap(dict[str, Any]):
    """A mapping that remembers its line and the line of each key."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class YList(list[Any]):
    """A sequence that remembers its line and the line of each item."""

    line: int
    item_lines: list[int]


@dataclass
class Reader:
    """Turns a YAML text into YMap/YList/scalars, collecting problems with file line numbers.

    `first_line` is the file line of the text's first line."""

    first_line: int
    problems: list[Problem] = field(default_factory=list)

    def read(self, text: str) -> Any:
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = self.first_line + (mark.line if mark else 0)
            self.problems.append(Problem(line, f"YAML cannot be read: {error.problem}"))
            return None
        if node is None:
            return None
        return self._build(node)

    def _line(self, node: Node) -> int:
        return self.first_line + node.start_mark.line

    def _build(self, node: Node) -> Any:
        if isinstance(node, MappingNode):
            mapping = YMap()
            mapping.line = self._line(node)
            mapping.key_lines = {}
            for key_node, value_node in node.value:
                line = self._line(key_node)
                if not isinstance(key_node, ScalarNode) or key_node.tag != STR_TAG:
                    kind = TAG_NAMES.get(key_node.tag, "not plain text")
                    self.problems.append(
                        Problem(
                            line,
                            f"the key {key_node.value!r} is read as {kind}; keys must be plain "
                            "words (put quotes around yes/no/on/off/true/false)",
                        )
                    )
                    continue
                key = str(key_node.value)
                if key in mapping:
                    self.problems.append(Problem(line, f"the key {key!r} appears twice"))
                    continue
                mapping.key_lines[key] = line
                mapping[key] = self._build(value_node)
            return mapping
        if isinstance(node, SequenceNode):
            items = YList()
            items.line = self._line(node)
            items.item_lines = []
            for item in node.value:
                items.item_lines.append(self._line(item))
                items.append(self._build(item))
            return items
        try:
            return SafeConstructor().construct_object(node, deep=True)
        except yaml.YAMLError as error:
            self.problems.append(Problem(self._line(node), f"value cannot be read: {error}"))
            return None


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a yes/no value (put quotes around it if it is text)"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "empty"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "text"
