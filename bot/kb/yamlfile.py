"""YAML that remembers where things were written, so errors can point at the line.

PyYAML forgets positions once it has built Python objects. This loader builds
:class:`LineDict` and :class:`LineList` instead of ``dict`` and ``list``; each knows its own
line and the line of every key or item. It also refuses duplicate keys, which plain
PyYAML silently resolves to the last one.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from ..errors import KnowledgeError


class LineDict(dict):
    """A mapping with ``line`` (where it starts) and ``key_lines`` (where each key is)."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        """Line of ``key`` if present, else the mapping's own line."""
        return getattr(self, "key_lines", {}).get(key, self.line)


class LineList(list):
    """A sequence with ``line`` (where it starts) and ``item_lines`` (where each item is)."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        lines = getattr(self, "item_lines", [])
        return lines[index] if 0 <= index < len(lines) else self.line


# libyaml's parser when PyYAML was built with it (much faster on large files); same marks either way.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that builds LineDict / LineList and rejects duplicate keys."""

    source_name = "<yaml>"


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise KnowledgeError("a mapping key must be a plain value", loader.source_name, key_node.start_mark.line + 1)
        if key in mapping:
            raise KnowledgeError(
                f"duplicate key {key!r} (first given on line {mapping.key_lines[key]})",
                loader.source_name,
                key_node.start_mark.line + 1,
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    items = LineList(loader.construct_object(child, deep=True) for child in node.value)
    items.line = node.start_mark.line + 1
    items.item_lines = [child.start_mark.line + 1 for child in node.value]
    return items


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it, else as given."""
    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else str(path)
    except (OSError, ValueError):
        return str(path)


def load_text(text: str, name: str) -> Any:
    """Parse YAML ``text``; syntax errors become :class:`KnowledgeError` naming ``name`` and the line."""
    loader = _Loader(text)
    loader.source_name = name
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise KnowledgeError(f"YAML syntax error: {problem}", name, line) from None
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"YAML error: {exc}", name) from None
    finally:
        loader.dispose()


def read_text(path: Path, name: str | None = None) -> str:
    """The UTF-8 text of the regular file at ``path``, as a :class:`KnowledgeError` naming ``name``
    (and the line, for text that is not UTF-8) when it cannot be had.

    Anything but a regular file is refused before it is read: a FIFO would wait for a writer
    for ever, and a device could be endless. Opening without blocking makes even that check safe.
    """
    name = name or display_path(path)
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise KnowledgeError("file not found", name) from None
    except OSError as exc:
        raise KnowledgeError(f"cannot read: {exc.strerror}", name) from None
    with os.fdopen(handle, "rb") as source:
        if not stat.S_ISREG(os.fstat(source.fileno()).st_mode):
            raise KnowledgeError("not a regular file (a FIFO, device or directory): refused", name)
        try:
            data = source.read()
        except OSError as exc:
            raise KnowledgeError(f"cannot read: {exc.strerror}", name) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise KnowledgeError(f"not UTF-8 text ({exc.reason})", name, line) from None


def load_file(path: Path) -> Any:
    """Read and parse the YAML file at ``path`` (see :func:`load_text`)."""
    name = display_path(path)
    return load_text(read_text(path, name), name)


def load_files(paths: Iterable[Path], errors: list[KnowledgeError]) -> Iterator[tuple[Path, str, Any]]:
    """Each readable file of ``paths`` as (path, its display name, its parsed YAML); a file that
    cannot be read or parsed adds its error to ``errors`` and is passed over."""
    for path in paths:
        try:
            data = load_file(path)
        except KnowledgeError as exc:
            errors.append(exc)
            continue
        yield path, display_path(path), data
