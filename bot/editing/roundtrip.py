"""YAML as the content files are written, for the editor: ruamel.yaml's round trip (comments, key
order, quotes and wrapping of untouched lines kept), scalars written so that the build's reader
(PyYAML, YAML 1.1) reads them back as the same text, and line diffs for the « détails
techniques ».
"""

from __future__ import annotations

import difflib
import io
import textwrap
from dataclasses import dataclass
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError as RoundTripError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, FoldedScalarString

from bot.editing.errors import EditError

# Folded texts are wrapped like the hand-written ones (about 96 columns with the indent).
_WRAP_COLUMNS = 96
# Where a scalar is written: an item of a block list, of a flow list, or a mapping's key.
_CONTEXTS = {"block": "- {}\n", "flow": "[{}]\n", "key": "{}: x\n"}


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "hunk", "context"
    text: str


class _Representer(RoundTripRepresenter):
    """ruamel's round trip, writing ``null`` as the content files do (not an empty value)."""


def _represent_none(representer: RoundTripRepresenter, data: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


_Representer.add_representer(type(None), _represent_none)


def _yaml() -> YAML:
    handler = YAML()
    handler.Representer = _Representer
    handler.preserve_quotes = True  # type: ignore[assignment]
    # Never re-wrap: long scalars stay on the line they were written on.
    handler.width = 4096  # type: ignore[assignment]
    handler.indent(mapping=2, sequence=4, offset=2)
    return handler


def load_document(text: str) -> CommentedMap:
    try:
        document = _yaml().load(text)
    except RoundTripError as error:
        raise EditError("invalid_content", problems=(f"the file is not valid YAML: {error}",)) from error
    if not isinstance(document, CommentedMap):
        raise EditError("invalid_content", problems=("the file is not a mapping",))
    return document


def dump_document(document: Any) -> str:
    stream = io.StringIO()
    _yaml().dump(document, stream)
    return stream.getvalue()


def folded(text: str, indent: int) -> FoldedScalarString:
    """A ``>-`` block wrapped like the hand-written texts."""
    text = " ".join(text.split())
    block: FoldedScalarString = FoldedScalarString(text)
    lines = textwrap.wrap(text, _WRAP_COLUMNS - indent, break_long_words=False, break_on_hyphens=False)
    positions, offset = [], 0
    for line in lines[:-1]:
        offset += len(line)
        positions.append(offset)
        offset += 1
    block.fold_pos = positions  # type: ignore[attr-defined]
    return block


def _read_back(text: str, context: str) -> bool:
    """Whether ``text`` written plain in ``context`` is read back by PyYAML as the same text."""
    try:
        data = yaml.safe_load(_CONTEXTS[context].format(text))
    except yaml.YAMLError:
        return False
    if context == "key":
        return isinstance(data, dict) and list(data) == [text]
    return bool(data == [text])


def scalar(text: str, context: str = "block") -> str:
    """``text`` as ruamel should write it: plain when the build's reader reads it back as the same
    text, else double-quoted (« on », « 12 », « c'est quoi ? » in a flow list, « a: b »...).
    ruamel writes YAML 1.2, where « on » or « no » are plain words; PyYAML reads YAML 1.1."""
    return text if _read_back(text, context) else DoubleQuotedScalarString(text)


def line_diff(before: str, after: str) -> list[DiffLine]:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2)
    return diff_lines(list(lines))


def diff_lines(lines: list[str]) -> list[DiffLine]:
    result = []
    for line in lines:
        if line.startswith(("+++", "---", "diff ", "index ", "new file", "deleted file", "similarity", "rename ")):
            continue
        if line.startswith("@@"):
            result.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            result.append(DiffLine("added", line))
        elif line.startswith("-"):
            result.append(DiffLine("removed", line))
        elif line.startswith("\\"):
            continue
        else:
            result.append(DiffLine("context", line))
    return result
