"""Safe YAML loading that remembers where every key and value was written.

Mappings become :class:`LocDict` and sequences :class:`LocList`: ordinary
``dict``/``list`` objects that also carry the :class:`SourceLocation` of the
mapping itself, of each key and of each value (octoDNS-style), so every later
error can point at file:line:column. Scalars keep their native types.

Plain scalars are resolved YAML 1.2-style, not YAML 1.1-style: a whole number is
decimal only (``0`` or ``-?[1-9][0-9]*``); leading zeros (``045000``, octal in
YAML 1.1), ``0x``/``0o``/``0b``, ``_`` separators, sexagesimal ``1:30``, a ``+``
sign, exponents and ``.inf``/``.nan`` stay text; a plain decimal (``0.5``) is a
:class:`~vitable_config.config.money.DecimalNumber` (a number for arithmetic, never an
amount by itself); and only
``true``/``false`` are booleans (``yes``/``no``/``on``/``off``/``y``/``n`` are text).
``null``/``~``/empty are null; ``YYYY-MM-DD`` is a date. Where an amount is expected,
such text is refused with a hint (:mod:`vitable_config.config.money`).

Hostile input fails fast with a clear message: files over
:data:`MAX_FILE_BYTES`, binary or non-UTF-8 bytes, python/unknown tags,
duplicate keys (both lines named), recursive aliases and alias bombs (more
than :data:`MAX_NODES` nodes once aliases are expanded).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from vitable_config.config.money import (
    DECIMAL_FRACTION_PATTERN,
    DECIMAL_INT_PATTERN,
    DecimalNumber,
)
from vitable_config.config.textfile import MAX_CSV_BYTES as MAX_CSV_BYTES
from vitable_config.config.textfile import MAX_FILE_BYTES as MAX_FILE_BYTES
from vitable_config.config.textfile import file_problem
from vitable_config.config.textfile import read_text as read_text
from vitable_config.errors import PACKED_LINE_SHIFT, Problem, SourceLocation, UserError

MAX_NODES = 1_000_000

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# Where a node was written: a SourceLocation, or (as the loader stores it, to make
# locations only when asked for) the parser's own mark of the node's start, which has
# 0-based ``line`` and ``column``; :func:`_located` turns it into a SourceLocation.
Where = Any


def _located(file: str, where: Where) -> SourceLocation:
    cls = where.__class__
    if cls is SourceLocation:
        return where  # type: ignore[no-any-return]
    if cls is int:
        return SourceLocation.unpacked(file, where)
    return SourceLocation(file, where.line + 1, where.column + 1)


def pack_where(where: Where) -> Where:
    """A parser mark as one number (:meth:`SourceLocation.unpacked`); a
    SourceLocation, None or a number as it is."""
    if where is None or where.__class__ is SourceLocation or where.__class__ is int:
        return where
    return where.line << PACKED_LINE_SHIFT | where.column


# A file has at most MAX_FILE_BYTES characters, so neither a line nor a column can
# overflow its part of the packed number.
assert MAX_FILE_BYTES < 1 << PACKED_LINE_SHIFT


_new_dict = dict.__new__


class LocDict(dict[Any, Any]):
    """A dict with the source location of itself, its keys and its values.

    Read the locations with :func:`key_location`, :func:`value_location` and
    ``.loc``; they are made from the parser's marks on first use. The marks of the
    keys and values are kept in one list, in the order of the keys (``_marks[2 * i]``
    and ``_marks[2 * i + 1]`` for the ``i``-th key): two dicts per mapping were a
    fifth of what a large flat config kept in memory."""

    __slots__ = ("_index", "_loc", "_marks", "file")

    def __init__(self, loc: Where | None = None, file: str = "") -> None:
        super().__init__()
        self._loc = loc
        self.file = file
        self._marks: list[Where] = []
        self._index: dict[Any, int] | None = None

    @property
    def loc(self) -> SourceLocation | None:
        return None if self._loc is None else _located(self.file, self._loc)

    @loc.setter
    def loc(self, value: SourceLocation | None) -> None:
        self._loc = value

    def marks_of(self, key: Any) -> tuple[Where, Where] | None:
        """The marks (or locations) of ``key`` and of its value, None when not known."""
        i = _position(self, key)
        if i is None:
            return None
        marks = self._marks
        return marks[2 * i], marks[2 * i + 1]

    # The marks are found by position: once a key is removed, every later key would
    # take the place of the one after it. So a mapping changed that way forgets its
    # marks (every location is then the mapping's own) rather than ever point at
    # another key's line. (A key added afterwards has no marks, see _position.)
    def _forget(self) -> None:
        self._marks = []
        self._index = None

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._forget()

    def pop(self, *args: Any) -> Any:
        self._forget()
        return super().pop(*args)

    def popitem(self) -> tuple[Any, Any]:
        self._forget()
        return super().popitem()

    def clear(self) -> None:
        self._forget()
        super().clear()


# Mappings up to this many keys are searched for a key's position (no index is kept).
_SCAN_KEYS = 8


def _position(data: LocDict, key: Any) -> int | None:
    """The position of ``key`` among ``data``'s keys, found as the dict finds it (the
    same hash and ``is`` or ``==``), when its marks are known; else None."""
    n = len(data)
    if 2 * n > len(data._marks):
        return None  # not filled by the loader (all or some of the keys have no marks)
    if n <= _SCAN_KEYS:
        try:
            h = hash(key)
        except TypeError:
            return None
        for i, k in enumerate(data):
            if k is key or (hash(k) == h and k == key):
                return i
        return None
    index = data._index
    if index is None or len(index) != n:
        index = data._index = {k: i for i, k in enumerate(data)}
    try:
        return index.get(key)
    except TypeError:
        return None


class LocList(list[Any]):
    """A list with the source location of itself and of each item."""

    __slots__ = ("_loc", "file", "locs")

    def __init__(self, loc: Where | None = None, file: str = "") -> None:
        super().__init__()
        self._loc = loc
        self.file = file
        self.locs: list[Where] = []

    @property
    def loc(self) -> SourceLocation | None:
        return None if self._loc is None else _located(self.file, self._loc)

    @loc.setter
    def loc(self, value: SourceLocation | None) -> None:
        self._loc = value


def reduce_located(data: LocDict | LocList) -> tuple[Any, ...]:
    """``pickle``'s reduction of a LocDict or LocList (config/parallel.py): its file, its
    location and marks packed (:func:`pack_where`), and its items."""
    if data.__class__ is LocDict:
        assert isinstance(data, LocDict)
        marks = [pack_where(m) for m in data._marks]
        items = iter(data.items())
        return _restore_dict, (data.file, pack_where(data._loc), marks), None, None, items
    assert isinstance(data, LocList)
    locs = [pack_where(m) for m in data.locs]
    return _restore_list, (data.file, pack_where(data._loc), locs), None, iter(data)


def _restore_dict(file: str, loc: Where, marks: list[Where]) -> LocDict:
    result = _new_dict(LocDict)
    result._loc = loc
    result.file = file
    result._index = None
    result._marks = marks
    return result


def _restore_list(file: str, loc: Where, locs: list[Where]) -> LocList:
    result = _new_list(LocList)
    result._loc = loc
    result.file = file
    result.locs = locs
    return result


def key_location(data: object, key: Any) -> SourceLocation | None:
    if isinstance(data, LocDict):
        i = _position(data, key)
        return data.loc if i is None else _located(data.file, data._marks[2 * i])
    return None


def value_location(data: object, key: Any) -> SourceLocation | None:
    """Where ``data[key]`` was written (falls back to the container)."""
    if isinstance(data, LocDict):
        i = _position(data, key)
        return data.loc if i is None else _located(data.file, data._marks[2 * i + 1])
    if isinstance(data, LocList):
        if isinstance(key, int) and 0 <= key < len(data.locs):
            return _located(data.file, data.locs[key])
        return data.loc
    return None


def value_mark(data: object, key: Any) -> tuple[str, Where]:
    """``(file, where)`` of ``data[key]`` for :meth:`Source.at_mark`: what
    :func:`value_location` returns, before it is made a SourceLocation."""
    if isinstance(data, LocDict):
        i = _position(data, key)
        return data.file, data._loc if i is None else data._marks[2 * i + 1]
    if isinstance(data, LocList):
        if isinstance(key, int) and 0 <= key < len(data.locs):
            return data.file, data.locs[key]
        return data.file, data._loc
    return "", None


def container_location(data: object) -> SourceLocation | None:
    return data.loc if isinstance(data, LocDict | LocList) else None


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
# Tags of plain scalar texts already resolved (bounded: texts up to 100 characters,
# at most this many of them).
_RESOLVED: dict[str, str] = {}
_RESOLVED_MAX = 50_000
# Dates (and timestamps) already read, by their text: a config repeats the same few
# coverage and enrollment dates in every plan year. Only valid ones are kept (an
# invalid date is a problem at each place it is written); bounded like _RESOLVED.
_TIMESTAMPS: dict[str, Any] = {}
_TIMESTAMPS_MAX = 10_000


_NO_PATHS: dict[Any, Any] = {}  # stays empty (see _LocatingLoader.descend_resolver)


class _LocatingLoader(_BaseLoader):  # type: ignore[misc]
    # The composer calls these twice per node to track path resolvers, of which there
    # are none (asserted below): C callables that ignore their arguments, instead of
    # Python methods that return at once (the return value is not used).
    descend_resolver = staticmethod(_NO_PATHS.get)  # (parent node, index)
    ascend_resolver = staticmethod(_NO_PATHS.clear)  # () on an empty dict

    def __init__(self, stream: str, filename: str) -> None:
        super().__init__(stream)
        self.filename = filename
        self.problems: list[Problem] = []
        self.maybe_merge = True

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        """The tag of a node without a tag: PyYAML's rule (the YAML 1.2 resolvers
        below), with the answer for each plain scalar text remembered, since the C
        parser asks once per node and a config repeats the same texts all over."""
        if kind is ScalarNode:
            if not implicit[0]:
                return _STR  # quoted or '!': text (no path resolvers are registered)
            tag = _RESOLVED.get(value)
            if tag is None:
                tag = str(super().resolve(kind, value, implicit))
                # The module's own constant for text, so _build's `tag == _STR` is an
                # identity test.
                tag = _STR if tag == _STR else tag
                if len(_RESOLVED) < _RESOLVED_MAX and len(value) <= 100:
                    _RESOLVED[value] = tag
            return tag
        return _MAP if kind is MappingNode else _SEQ

    def loc(self, node: Node) -> SourceLocation:
        mark = node.start_mark
        return SourceLocation(self.filename, mark.line + 1, mark.column + 1)

    def construct_located_mapping(self, node: MappingNode) -> LocDict:
        own_keys = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
        self.flatten_mapping(node)
        result = LocDict(self.loc(node), self.filename)
        own_seen: dict[Any, SourceLocation] = {}
        positions: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            key_loc = self.loc(key_node)
            try:
                hash(key)
            except TypeError:
                self.problems.append(
                    Problem(
                        "a mapping key must be a plain value, not a list or mapping",
                        key_loc,
                        hint="quote the key or restructure the mapping",
                    )
                )
                continue
            if id(key_node) in own_keys:
                if key in own_seen:
                    self.problems.append(
                        Problem(
                            f"duplicate key {key!r} (first defined at {own_seen[key]})",
                            key_loc,
                            hint="each key may appear once per mapping; remove or merge one",
                        )
                    )
                    continue
                own_seen[key] = key_loc
            # A key repeated through a merge (<<) keeps its place and takes the later
            # value and locations, as dict assignment does.
            i = positions.get(key)
            if i is None:
                positions[key] = len(positions)
                result._marks += (key_loc, self.loc(value_node))
            else:
                result._marks[2 * i : 2 * i + 2] = (key_loc, self.loc(value_node))
            result[key] = self.construct_object(value_node, deep=True)
        return result

    def construct_located_sequence(self, node: SequenceNode) -> LocList:
        result = LocList(self.loc(node), self.filename)
        for child in node.value:
            result.append(self.construct_object(child, deep=True))
            result.locs.append(self.loc(child))
        return result

    def construct_yaml12_bool(self, node: ScalarNode) -> bool | str:
        text = str(node.value)
        if _BOOL.match(text):
            return text.lower() == "true"
        return self._refuse_tagged(node, "!!bool", "true or false")

    def construct_yaml12_int(self, node: ScalarNode) -> int | str:
        """Decimal only; PyYAML's own int constructor would read ``0x``/``0o``/``_``."""
        text = str(node.value)
        if _INT.match(text) and len(text) <= 4300:
            return int(text)
        return self._refuse_tagged(node, "!!int", "a decimal whole number without a leading zero")

    def construct_yaml12_float(self, node: ScalarNode) -> DecimalNumber | str:
        text = str(node.value)
        if _FLOAT.match(text) and len(text) <= 40:
            return DecimalNumber(text)
        return self._refuse_tagged(node, "!!float", "a plain decimal such as 0.5")

    def _refuse_tagged(self, node: ScalarNode, tag: str, expected: str) -> str:
        """An explicit tag that would bring back a YAML 1.1 reading: a problem at its
        line (the text is kept so loading can go on and report more)."""
        what = f"only {expected} can be tagged {tag}"
        self.problems.append(
            Problem(
                f"YAML tag {tag} on {str(node.value)!r} is not allowed: {what}",
                self.loc(node),
                hint='amounts are whole cents (45000) or dollars ("$450.00"); remove the tag',
            )
        )
        return str(node.value)

    def construct_checked_timestamp(self, node: ScalarNode) -> Any:
        """A YAML date such as ``2027-02-30`` that is not a real date: a problem at its
        line (PyYAML itself would raise a bare ValueError), and the text is kept."""
        text = node.value
        known = _TIMESTAMPS.get(text)
        if known is not None:
            return known
        try:
            value = self.construct_yaml_timestamp(node)
        except ValueError as exc:
            self.problems.append(
                Problem(
                    f"invalid date {node.value!r}: {exc}",
                    self.loc(node),
                    hint="use a real calendar date as YYYY-MM-DD, e.g. 2027-01-31",
                )
            )
            return node.value
        if len(_TIMESTAMPS) < _TIMESTAMPS_MAX and len(text) <= 40:
            _TIMESTAMPS[text] = value
        return value


def _yaml12_resolvers(base: dict[Any, list[tuple[str, Any]]]) -> dict[Any, list[Any]]:
    """PyYAML's implicit resolvers with YAML 1.1's numbers and booleans replaced by a
    YAML 1.2-style core subset (see the module docstring)."""
    dropped = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
    out: dict[Any, list[Any]] = {}
    for first, resolvers in base.items():
        kept = [(tag, regexp) for tag, regexp in resolvers if tag not in dropped]
        if kept:
            out[first] = kept
    extra = (
        ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
        ("tag:yaml.org,2002:int", _INT, "-0123456789"),
        ("tag:yaml.org,2002:float", _FLOAT, "-0123456789"),
    )
    for tag, regexp, firsts in extra:
        for first in firsts:
            out.setdefault(first, []).insert(0, (tag, regexp))
    return out


_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(rf"^{DECIMAL_INT_PATTERN}$")
_FLOAT = re.compile(rf"^{DECIMAL_FRACTION_PATTERN}$")
_LocatingLoader.yaml_implicit_resolvers = _yaml12_resolvers(
    getattr(_BaseLoader, "yaml_implicit_resolvers")  # noqa: B009 - typed as a bare type
)
_LocatingLoader.add_constructor("tag:yaml.org,2002:bool", _LocatingLoader.construct_yaml12_bool)
_LocatingLoader.add_constructor("tag:yaml.org,2002:int", _LocatingLoader.construct_yaml12_int)
_LocatingLoader.add_constructor("tag:yaml.org,2002:float", _LocatingLoader.construct_yaml12_float)
_LocatingLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _LocatingLoader.construct_checked_timestamp
)
_LocatingLoader.add_constructor("tag:yaml.org,2002:map", _LocatingLoader.construct_located_mapping)
_LocatingLoader.add_constructor("tag:yaml.org,2002:seq", _LocatingLoader.construct_located_sequence)
# resolve() above relies on this: no path-based resolvers.
assert not getattr(_LocatingLoader, "yaml_path_resolvers", None)


# Scalar tags whose constructor takes the node and returns the value (no generator).
_PLAIN_SCALARS = (
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
)


def _too_large(filename: str) -> UserError:
    return UserError.from_problems(
        [
            Problem(
                f"document too large: more than {MAX_NODES:,} values once aliases are "
                "expanded (an alias bomb?)",
                SourceLocation(filename, 1),
                hint="use fewer anchors/aliases (&name / *name) or split the file",
            )
        ]
    )


_new_list = list.__new__


def _built(node: Node) -> Any:  # pragma: no cover - never called
    raise AssertionError("the document is built")


def _build(loader: _LocatingLoader, root: Node) -> Any:
    """The document's values in one pass over the composed nodes: the same result as
    ``loader.construct_document`` (located mappings and sequences, YAML 1.2 scalars,
    the same problems), without PyYAML's per-node construction machinery, and with
    each location kept as the parser's mark until it is asked for.

    Mappings with a merge key (``<<``) and nodes of any other tag are built by the
    loader itself, so merges, unknown tags and their errors behave exactly as there.
    Counts the values built and stops past :data:`MAX_NODES`. When the loader's
    ``maybe_merge`` is false the text has no merge key (no ``<<`` and no tag at all),
    so mappings are not searched for one.

    Text keys and values are interned (:func:`sys.intern`): a config repeats the same
    keys and amounts in every plan year, and each copy the parser made is then freed
    with its node. The interpreter forgets an interned text when nothing refers to it
    any more, so nothing is kept after the documents are freed; and a key is the same
    object as the name the code looks it up by (``"start"``), found by identity.
    """
    filename = loader.filename
    problems = loader.problems
    maybe_merge = loader.maybe_merge
    constructors = loader.yaml_constructors
    scalars = {tag: constructors[tag] for tag in _PLAIN_SCALARS if tag in constructors}
    shared = sys.intern
    built = 0

    def value(node: Node) -> Any:
        nonlocal built
        built += 1
        if built > MAX_NODES:
            raise _too_large(filename)
        cls = node.__class__
        tag = node.tag
        if cls is ScalarNode:
            if tag == _STR:
                text = node.value
                return shared(text)
            constructor = scalars.get(tag)
            if constructor is not None:
                return constructor(loader, node)
        elif cls is MappingNode and tag == _MAP:
            pairs = node.value
            if maybe_merge and any(k.tag == _MERGE for k, _ in pairs):
                return loader.construct_object(node, deep=True)
            # LocDict(node.start_mark, filename), without the calls of __init__.
            result = _new_dict(LocDict)
            result._loc = node.start_mark
            result.file = filename
            result._index = None
            marks: list[Where] = []
            result._marks = marks
            add_marks = marks.extend
            built += 2 * len(pairs)
            if built > MAX_NODES:
                raise _too_large(filename)
            for key_node, value_node in pairs:
                # Plain text keys and values (most of them) without a call each.
                if key_node.__class__ is ScalarNode and key_node.tag == _STR:
                    text = key_node.value
                    key = shared(text)
                else:
                    built -= 1
                    key = value(key_node)
                try:
                    seen = key in result
                except TypeError:
                    problems.append(
                        Problem(
                            "a mapping key must be a plain value, not a list or mapping",
                            _located(filename, key_node.start_mark),
                            hint="quote the key or restructure the mapping",
                        )
                    )
                    continue
                if seen:
                    first_mark = result.marks_of(key)
                    assert first_mark is not None
                    first = _located(filename, first_mark[0])
                    problems.append(
                        Problem(
                            f"duplicate key {key!r} (first defined at {first})",
                            _located(filename, key_node.start_mark),
                            hint="each key may appear once per mapping; remove or merge one",
                        )
                    )
                    continue
                if value_node.__class__ is ScalarNode and value_node.tag == _STR:
                    text = value_node.value
                    result[key] = shared(text)
                else:
                    built -= 1
                    result[key] = value(value_node)
                add_marks((key_node.start_mark, value_node.start_mark))
            return result
        elif cls is SequenceNode and tag == _SEQ:
            items = LocList(node.start_mark, filename)
            locs = items.locs
            for child in node.value:
                items.append(value(child))
                locs.append(child.start_mark)
            return items
        return loader.construct_object(node, deep=True)

    try:
        return value(root)
    finally:
        # value refers to itself (it recurses): without this the function, the loader
        # and its parser's copy of the text would wait for the cyclic collector, which
        # load_config pauses.
        value = _built


def _expanded_size(root: Node, filename: str) -> None:
    """Count nodes with aliases expanded; refuse bombs and recursive aliases."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()
    total = 0

    def size(node: Node) -> int:
        key = id(node)
        known = sizes.get(key)
        if known is not None:
            return known
        if key in in_progress:
            raise UserError.from_problems(
                [
                    Problem(
                        "recursive alias: a node refers to itself",
                        SourceLocation(filename, node.start_mark.line + 1),
                        hint="remove the alias (*name) that points back into its own anchor",
                    )
                ]
            )
        in_progress.add(key)
        n = 1
        if isinstance(node, SequenceNode):
            for child in node.value:
                n += size(child)
                if n > MAX_NODES:
                    break
        elif isinstance(node, MappingNode):
            for k, v in node.value:
                n += size(k) + size(v)
                if n > MAX_NODES:
                    break
        in_progress.discard(key)
        sizes[key] = n
        return n

    total = size(root)
    if total > MAX_NODES:
        raise _too_large(filename)


def parse_yaml(text: str, display: str) -> Any:
    """Parse one YAML document; raise :class:`UserError` with all problems found."""
    loader = _LocatingLoader(text, display)
    try:
        node = loader.get_single_node()
        if node is None:
            return LocDict(SourceLocation(display, 1), display)
        if "&" in text:  # anchors, so maybe aliases: refuse bombs and cycles first
            _expanded_size(node, display)
        # A merge key is the plain text << or an explicitly tagged key (tags need "!").
        loader.maybe_merge = "<<" in text or "!" in text
        data = _build(loader, node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = SourceLocation(display, mark.line + 1, mark.column + 1) if mark else None
        message = _yaml_message(exc)
        raise UserError.from_problems([Problem(message, loc, hint=_yaml_hint(message))]) from None
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        line = before.count("\n") + 1
        column = exc.position - (before.rfind("\n") + 1) + 1
        raise UserError.from_problems(
            [
                Problem(
                    f"invalid YAML: character #x{_ord(exc.character):04x} is not allowed",
                    SourceLocation(display, line, column),
                    hint="remove control characters from the file",
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise file_problem(display, f"invalid YAML: {exc}", None) from None
    except RecursionError:
        raise file_problem(display, "YAML nesting is too deep", "flatten the structure") from None
    finally:
        loader.dispose()
    if loader.problems:
        raise UserError.from_problems(loader.problems)
    if isinstance(data, ScalarNode):  # pragma: no cover - defensive
        return data.value
    return data


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    text = " ".join(part for part in (exc.context, exc.problem) if part)
    if "could not determine a constructor for the tag" in text:
        tag = text.split("tag", 1)[1].strip().strip("'").replace("tag:yaml.org,2002:", "!!")
        return f"YAML tag {tag!r} is not allowed"
    return f"invalid YAML: {text}" if text else "invalid YAML"


def _yaml_hint(message: str) -> str | None:
    if "tag" in message and "not allowed" in message:
        return "only plain YAML is accepted (no !!python/... or custom tags); remove the tag"
    return None


def load_yaml_file(path: Path, display: str | None = None) -> Any:
    shown = display or str(path)
    return parse_yaml(read_text(path, shown), shown)


def _ord(character: str | int) -> int:
    return ord(character) if isinstance(character, str) else character
