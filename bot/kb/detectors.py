"""What the engine looks for in a draft, and the words it folds together, as data.

``detectors.yaml`` holds one entry per kind of finding. A detector fires on a sentence
when one of its ``patterns`` matches and, if it has ``with`` patterns, one of those
matches in the same sentence too (within ``near`` words, if given; failing that, in the
sentence before or after), and none of its ``unless`` patterns does. Patterns are
regular expressions, case-insensitive unless they say ``(?-i:...)``; a pattern list may be
split by jurisdiction (``all``, ``AU``, ``NZ``, ``UK``, ``CA``). A few detectors need code
(``builtin: email``, ``phone``, ``person``); their data still sets topics, effect and advice.
A detector marked ``content`` judges what a post says; when a question also fires a detector
marked ``reports_others`` ("someone left a comment with..."), content findings describe that
other person's post, not the asker's, and are set aside.

``vocabulary.yaml`` holds stop words, synonym groups (``canonical: [variants]``, variants
may be phrases) and given names used to spot named people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..contract import CAPACITIES, JURISDICTIONS, MODES, TOPICS, VERDICTS
from ..errors import KnowledgeError
from .schema import Checker
from .yamlfile import LineDict, LineList

BUILTINS = ("email", "phone", "person")
FIXES = ("remove", "mask")
DETECTOR_FIELDS = {
    "kind", "label", "topics", "modes", "effect", "escalate", "fix", "advice", "patterns", "with", "unless",
    "allow", "builtin", "implies", "content", "reports_others", "near", "exact",
}
PatternsByJurisdiction = dict[str, tuple[re.Pattern[str], ...]]


@dataclass(frozen=True, eq=False)
class DetectorSpec:
    """One kind of finding: how to spot it and what it engages."""

    kind: str
    label: str
    topics: tuple[str, ...]
    effects: dict[str, str]  # capacity -> the most this finding can make the verdict
    advice: str
    modes: tuple[str, ...] = MODES
    escalate: bool = False
    fix: str | None = None
    patterns: PatternsByJurisdiction = field(default_factory=dict)
    with_patterns: PatternsByJurisdiction = field(default_factory=dict)
    unless: PatternsByJurisdiction = field(default_factory=dict)
    allow: tuple[re.Pattern[str], ...] = ()  # matches that are fine as they are (e.g. info@ addresses)
    builtin: str | None = None
    implies: str | None = None  # the capacity a draft with this finding is written in
    content: bool = False  # judges what a post says (so not a post the question reports someone else made)
    reports_others: bool = False  # the text reports someone else's post: content findings are about theirs
    near: int | None = None  # a companion in the same sentence counts only within this many words
    line: int = 0
    exact: bool = False  # it sees for certain (a marking, an address): a lenient precedent never lowers it

    def patterns_for(self, table: PatternsByJurisdiction, jurisdiction: str) -> tuple[re.Pattern[str], ...]:
        return table.get("all", ()) + table.get(jurisdiction, ())


@dataclass
class Vocabulary:
    """Words the matcher ignores or treats as one."""

    stopwords: frozenset[str] = frozenset()
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # canonical -> variants
    given_names: frozenset[str] = frozenset()


def _compile_list(check: Checker, raw: Any, where: str, line: int) -> tuple[re.Pattern[str], ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        check.error("expected a non-empty list of patterns", line, where)
        return ()
    out = []
    for i, item in enumerate(raw):
        item_line = raw.line_of(i) if isinstance(raw, LineList) else line
        if not isinstance(item, str) or not item:
            check.error("expected a pattern (text)", item_line, f"{where}[{i}]")
            continue
        try:
            out.append(re.compile(item, re.IGNORECASE))
        except re.error as exc:
            check.error(f"invalid pattern: {exc}", item_line, f"{where}[{i}]")
    return tuple(out)


def _compile_table(check: Checker, data: LineDict, key: str, where: str) -> PatternsByJurisdiction:
    raw = data.get(key)
    if raw is None:
        return {}
    line = data.line_of(key)
    if isinstance(raw, dict):
        table = {}
        for jurisdiction, patterns in raw.items():
            j_line = raw.line_of(jurisdiction) if isinstance(raw, LineDict) else line
            if jurisdiction != "all" and jurisdiction not in JURISDICTIONS:
                check.error(f"unknown jurisdiction {jurisdiction!r} (known: all, {', '.join(JURISDICTIONS)})",
                            j_line, f"{where}.{key}.{jurisdiction}")
                continue
            table[jurisdiction] = _compile_list(check, patterns, f"{where}.{key}.{jurisdiction}", j_line)
        return table
    return {"all": _compile_list(check, raw, f"{where}.{key}", line)}


def parse_detectors(data: Any, file: str) -> tuple[list[DetectorSpec], list[KnowledgeError]]:
    """Check ``detectors.yaml``: a ``detectors`` list of detector entries."""
    check = Checker(file)
    top = check.mapping(data, "", 1)
    if top is None:
        return [], check.errors
    check.unknown_keys(top, {"detectors"}, "")
    items = top.get("detectors")
    if not isinstance(items, list) or not items:
        check.error("expected a non-empty list of detectors", top.line_of("detectors"), "detectors")
        return [], check.errors
    specs: list[DetectorSpec] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        where = f"detectors[{index}]"
        data_item = check.mapping(item, where, items.line_of(index) if isinstance(items, LineList) else top.line)
        if data_item is None:
            continue
        check.unknown_keys(data_item, DETECTOR_FIELDS, where)
        kind = check.text(data_item, "kind", where)
        if kind:
            where = f"{where} ({kind})"
            if kind in seen:
                check.error(f"duplicate detector kind {kind!r} (first on line {seen[kind]})", data_item.line_of("kind"), where)
            seen[kind] = data_item.line_of("kind")
        label = check.text(data_item, "label", where)
        advice = check.text(data_item, "advice", where)
        topics = check.choices(data_item, "topics", where, TOPICS, "topic")
        modes = check.choices(data_item, "modes", where, MODES, "mode", required=False) or MODES
        builtin = check.choice(data_item, "builtin", where, BUILTINS, required=False)
        fix = check.choice(data_item, "fix", where, FIXES, required=False)
        implies = check.choice(data_item, "implies", where, CAPACITIES, required=False)
        escalate = check.boolean(data_item, "escalate", where)
        content = check.boolean(data_item, "content", where)
        reports_others = check.boolean(data_item, "reports_others", where)
        exact = check.boolean(data_item, "exact", where)
        effects = _effects(check, data_item, where)
        patterns = _compile_table(check, data_item, "patterns", where)
        if not patterns and not builtin:
            check.error("a detector needs patterns, or a builtin", data_item.line, f"{where}.patterns")
        with_patterns = _compile_table(check, data_item, "with", where)
        unless = _compile_table(check, data_item, "unless", where)
        allow = _compile_list(check, data_item["allow"], f"{where}.allow", data_item.line_of("allow")) if "allow" in data_item else ()
        near = data_item.get("near")
        if near is not None and (not isinstance(near, int) or isinstance(near, bool) or not 0 <= near <= 50):
            check.error("expected a number of words from 0 to 50", data_item.line_of("near"), f"{where}.near")
            near = None
        if kind and label and advice and topics and effects:
            specs.append(DetectorSpec(kind, label, topics, effects, advice, modes, escalate, fix, patterns,
                                      with_patterns, unless, allow, builtin, implies, content, reports_others,
                                      near, data_item.line, exact))
    return specs, check.errors


def _effects(check: Checker, data: LineDict, where: str) -> dict[str, str]:
    raw = data.get("effect")
    line = data.line_of("effect")
    if isinstance(raw, str) and raw in VERDICTS:
        return {cap: raw for cap in CAPACITIES}
    if isinstance(raw, dict) and set(raw) == set(CAPACITIES) and all(v in VERDICTS for v in raw.values()):
        return dict(raw)
    check.error(f"expected a verdict ({', '.join(VERDICTS)}) or one for each capacity ({', '.join(CAPACITIES)})",
                line, f"{where}.effect")
    return {}


def parse_vocabulary(data: Any, file: str) -> tuple[Vocabulary, list[KnowledgeError]]:
    """Check ``vocabulary.yaml``: ``stopwords``, ``synonyms`` and ``given_names``."""
    check = Checker(file)
    top = check.mapping(data, "", 1)
    if top is None:
        return Vocabulary(), check.errors
    check.unknown_keys(top, {"stopwords", "synonyms", "given_names"}, "")

    def words(key: str) -> frozenset[str]:
        raw = top.get(key, [])
        if not isinstance(raw, list):
            check.error("expected a list of words", top.line_of(key), key)
            return frozenset()
        for i, word in enumerate(raw):
            if not isinstance(word, str) or not word.strip():
                hint = " (quote it: YAML reads yes, no, on and off as true/false)" if isinstance(word, bool) else ""
                check.error(f"expected a word, got {word!r}{hint}", raw.line_of(i) if isinstance(raw, LineList) else top.line_of(key), f"{key}[{i}]")
        return frozenset(w.strip().lower() for w in raw if isinstance(w, str) and w.strip())

    synonyms: dict[str, tuple[str, ...]] = {}
    raw_syn = top.get("synonyms", {})
    if not isinstance(raw_syn, dict):
        check.error("expected a mapping of canonical word to its variants", top.line_of("synonyms"), "synonyms")
    else:
        owner: dict[str, str] = {}
        for canonical, variants in raw_syn.items():
            line = raw_syn.line_of(canonical) if isinstance(raw_syn, LineDict) else top.line
            if not isinstance(canonical, str) or not re.fullmatch(r"[a-z0-9]+", canonical):
                check.error("a canonical word is one lower-case word", line, f"synonyms.{canonical}")
                continue
            if not isinstance(variants, list) or not all(isinstance(v, str) and v.strip() for v in variants):
                check.error("expected a list of variants (words or phrases)", line, f"synonyms.{canonical}")
                continue
            for variant in variants:
                key = variant.strip().lower()
                if key in owner and owner[key] != canonical:
                    check.error(f"variant {variant!r} is already a variant of {owner[key]!r}", line, f"synonyms.{canonical}")
                owner[key] = canonical
            synonyms[canonical] = tuple(v.strip().lower() for v in variants)
    return Vocabulary(words("stopwords"), synonyms, words("given_names")), check.errors
