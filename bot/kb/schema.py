"""What a knowledge-base file may say, as dataclasses, and the checks that build them.

Each ``parse_*`` function takes data read by :mod:`.yamlfile` and returns the objects
plus a list of :class:`KnowledgeError`, each naming the file, line and field, so one
``canipost kb validate`` run reports every problem at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from ..contract import CAPACITIES, JURISDICTIONS, KINDS, TOPICS, VERDICTS, most_severe, raise_verdict
from ..errors import KnowledgeError
from .yamlfile import LineDict, LineList

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+$")
PROFILE_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Contact:
    """Who to ask, and how to reach them."""

    name: str
    how: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "how": self.how}


@dataclass(frozen=True)
class Source:
    """The document a knowledge-base file is built from (one file per document)."""

    issuer: str
    document: str
    year: int
    jurisdiction: str
    kind: str = "rule"
    seed: str | None = None  # the text in knowledge/sources/ its quotes are copied from
    quoted_in: str | None = None  # for rules known only through another document
    url: str | None = None
    file: str = ""

    def cite(self) -> str:
        """The source as the answer prints it: issuer, document (year)[, as quoted in ...]."""
        text = f"{self.issuer}, {self.document} ({self.year})"
        return f"{text}, as quoted in {self.quoted_in}" if self.quoted_in else text


@dataclass(frozen=True)
class Trigger:
    """Something that should bring a provision up: an example phrase, or a regular expression."""

    text: str
    pattern: re.Pattern[str] | None = None
    line: int = 0

    @property
    def is_pattern(self) -> bool:
        return self.pattern is not None


@dataclass(frozen=True)
class Override:
    """A profile's exception to one provision: switched off, or a different effect, with a reason."""

    provision: str
    reason: str
    disable: bool = False
    effect: str | None = None
    profile: str = ""
    line: int = 0


@dataclass(frozen=True)
class Period:
    """Dated stretch (an election, a budget lock-up) during which ``topics`` are judged more strictly."""

    name: str
    start: dt.date
    end: dt.date
    topics: tuple[str, ...]
    raise_to: str | None = None  # at least this verdict; default: one step stricter
    reason: str = ""

    def active_on(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def stricter(self, verdict: str) -> str:
        """``verdict`` as judged during the period (never less strict than it was)."""
        if self.raise_to:
            return most_severe(verdict, self.raise_to)
        return raise_verdict(verdict)


@dataclass(frozen=True, eq=False)
class Provision:
    """One rule or piece of guidance, quoted from its source, with what engaging it means."""

    id: str
    title: str
    jurisdiction: str
    source: Source
    citation: str
    quote: str
    summary: str
    kind: str
    topics: tuple[str, ...]
    capacities: tuple[str, ...]
    effects: dict[str, str]  # capacity -> verdict when the provision is engaged
    triggers: tuple[Trigger, ...] = ()
    advice: str | None = None
    escalate: bool = False
    always: tuple[str, ...] = ()  # capacities in which every draft engages it, without a trigger
    findings: tuple[str, ...] = ()  # detector kinds whose findings engage it at full strength
    url: str | None = None
    override: Override | None = None
    file: str = ""
    line: int = 0

    def applies_to(self, capacity: str) -> bool:
        return capacity in self.capacities

    def effect_for(self, capacity: str) -> str | None:
        """The verdict this provision implies for ``capacity`` (None where it does not apply)."""
        return self.effects.get(capacity) if capacity in self.capacities else None

    def with_override(self, override: Override) -> "Provision":
        effects = self.effects
        if override.effect:
            effects = {cap: override.effect for cap in self.capacities}
        return dataclasses.replace(self, effects=effects, override=override)


@dataclass(frozen=True)
class Profile:
    """An organisation: the provisions that apply to it and who its people should ask."""

    id: str
    name: str
    jurisdiction: str
    sources: tuple[str, ...]  # knowledge-base files, own and inherited, relative to the root
    contact: Contact
    authorisation_contact: Contact | None = None
    extends: str | None = None
    overrides: tuple[Override, ...] = ()
    periods: tuple[Period, ...] = ()
    line: int = 0

    def active_periods(self, day: dt.date) -> list[Period]:
        return [p for p in self.periods if p.active_on(day)]

    def approver(self) -> Contact:
        """Who gives approval to post officially (the ethics contact where none is named)."""
        return self.authorisation_contact or self.contact


# --- checking helpers -------------------------------------------------------------


class Checker:
    """Collects errors for one file; each check names the field and the line."""

    def __init__(self, file: str):
        self.file = file
        self.errors: list[KnowledgeError] = []

    def error(self, message: str, line: int | None, field: str | None) -> None:
        self.errors.append(KnowledgeError(message, self.file, line, field))

    def mapping(self, value: Any, where: str, line: int) -> LineDict | None:
        if isinstance(value, dict):
            return value  # type: ignore[return-value]
        self.error(f"expected a mapping, got {_kind(value)}", line, where)
        return None

    def unknown_keys(self, data: LineDict, allowed: set[str], where: str) -> None:
        for key in data:
            if key not in allowed:
                hint = closest(str(key), allowed)
                self.error(
                    f"unknown field {key!r}" + (f" (did you mean {hint!r}?)" if hint else ""),
                    data.line_of(key),
                    f"{where}.{key}" if where else str(key),
                )

    def text(self, data: LineDict, key: str, where: str, required: bool = True) -> str | None:
        value = data.get(key)
        field_name = f"{where}.{key}" if where else key
        if value is None:
            if required:
                self.error(f"missing required field {key!r}", data.line, field_name)
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(f"expected non-empty text, got {_kind(value)}", data.line_of(key), field_name)
            return None
        return value.strip()

    def choice(self, data: LineDict, key: str, where: str, choices: tuple[str, ...] | dict, required: bool = True,
               default: str | None = None) -> str | None:
        value = self.text(data, key, where, required=required and default is None)
        if value is None:
            return default
        if value not in choices:
            self.error(f"unknown {key} {value!r} (known: {', '.join(choices)})", data.line_of(key), f"{where}.{key}")
            return default
        return value

    def choices(self, data: LineDict, key: str, where: str, choices: tuple[str, ...] | dict,
                noun: str, required: bool = True) -> tuple[str, ...]:
        value = data.get(key)
        field_name = f"{where}.{key}"
        if value is None:
            if required:
                self.error(f"missing required field {key!r}", data.line, field_name)
            return ()
        if isinstance(value, str):
            value = LineList([value])
            value.line = data.line_of(key)
            value.item_lines = [value.line]
        if not isinstance(value, list) or not value:
            self.error(f"expected a non-empty list of {noun}s", data.line_of(key), field_name)
            return ()
        good = []
        for i, item in enumerate(value):
            line = value.line_of(i) if isinstance(value, LineList) else data.line_of(key)
            if item not in choices:
                hint = closest(str(item), set(choices))
                self.error(
                    f"unknown {noun} {item!r}" + (f" (did you mean {hint!r}?)" if hint else f" (known: {', '.join(choices)})"),
                    line,
                    f"{field_name}[{i}]",
                )
            elif item in good:
                self.error(f"{noun} {item!r} listed twice", line, f"{field_name}[{i}]")
            else:
                good.append(item)
        return tuple(good)

    def boolean(self, data: LineDict, key: str, where: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.error(f"expected true or false, got {_kind(value)}", data.line_of(key), f"{where}.{key}")
            return False
        return value

    def contact(self, data: LineDict, key: str, where: str, required: bool = True) -> Contact | None:
        value = data.get(key)
        if value is None:
            if required:
                self.error(f"missing required field {key!r}", data.line, f"{where}.{key}")
            return None
        mapping = self.mapping(value, f"{where}.{key}", data.line_of(key))
        if mapping is None:
            return None
        self.unknown_keys(mapping, {"name", "how"}, f"{where}.{key}")
        name = self.text(mapping, "name", f"{where}.{key}")
        how = self.text(mapping, "how", f"{where}.{key}")
        return Contact(name, how) if name and how else None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", LineDict: "a mapping", list: "a list", LineList: "a list", str: "text",
            bool: "true/false", int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def closest(word: str, options, cutoff: int = 75) -> str | None:
    """The option most like ``word``, for "did you mean ...?" (None if nothing is close)."""
    from rapidfuzz import process

    found = process.extractOne(word, list(options), score_cutoff=cutoff)
    return found[0] if found else None


# --- source files -----------------------------------------------------------------

SOURCE_FIELDS = {"issuer", "document", "year", "jurisdiction", "kind", "seed", "quoted_in", "url"}
PROVISION_FIELDS = {
    "id", "title", "jurisdiction", "citation", "quote", "summary", "kind", "topics", "capacities",
    "effect", "triggers", "advice", "escalate", "always", "url", "findings",
}


def parse_source_file(data: Any, file: str) -> tuple[Source | None, list[Provision], list[KnowledgeError]]:
    """Check one knowledge-base file (a ``source`` block and its ``provisions``)."""
    check = Checker(file)
    top = check.mapping(data, "", 1)
    if top is None:
        return None, [], check.errors
    check.unknown_keys(top, {"source", "provisions"}, "")
    source = _parse_source(check, top, file)
    provisions: list[Provision] = []
    items = top.get("provisions")
    if not isinstance(items, list) or not items:
        check.error("expected a non-empty list of provisions", top.line_of("provisions"), "provisions")
        return source, provisions, check.errors
    for index, item in enumerate(items):
        where = f"provisions[{index}]"
        line = items.line_of(index) if isinstance(items, LineList) else top.line
        mapping = check.mapping(item, where, line)
        if mapping is None or source is None:
            continue
        provision = _parse_provision(check, mapping, where, source, file)
        if provision:
            provisions.append(provision)
    return source, provisions, check.errors


def _parse_source(check: Checker, top: LineDict, file: str) -> Source | None:
    raw = top.get("source")
    if raw is None:
        check.error("missing required field 'source' (issuer, document, year, jurisdiction)", top.line, "source")
        return None
    data = check.mapping(raw, "source", top.line_of("source"))
    if data is None:
        return None
    check.unknown_keys(data, SOURCE_FIELDS, "source")
    issuer = check.text(data, "issuer", "source")
    document = check.text(data, "document", "source")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2100:
        check.error(f"expected a year such as 2012, got {_kind(year)}", data.line_of("year"), "source.year")
        year = None
    jurisdiction = check.choice(data, "jurisdiction", "source", JURISDICTIONS)
    kind = check.choice(data, "kind", "source", KINDS, default="rule")
    seed = check.text(data, "seed", "source", required=False)
    quoted_in = check.text(data, "quoted_in", "source", required=False)
    url = check.text(data, "url", "source", required=False)
    if not (issuer and document and year and jurisdiction):
        return None
    return Source(issuer, document, year, jurisdiction, kind or "rule", seed, quoted_in, url, file)


def _parse_effect(check: Checker, data: LineDict, where: str, capacities: tuple[str, ...]) -> dict[str, str]:
    raw = data.get("effect")
    line = data.line_of("effect")
    if raw is None:
        check.error("missing required field 'effect' (a verdict, or a verdict per capacity)", data.line, f"{where}.effect")
        return {}
    if isinstance(raw, str):
        if raw not in VERDICTS:
            check.error(f"unknown verdict {raw!r} (known: {', '.join(VERDICTS)})", line, f"{where}.effect")
            return {}
        return {cap: raw for cap in capacities}
    if isinstance(raw, dict):
        effects: dict[str, str] = {}
        for cap, verdict in raw.items():
            cap_line = raw.line_of(cap) if isinstance(raw, LineDict) else line
            if cap not in CAPACITIES:
                check.error(f"unknown capacity {cap!r} (known: {', '.join(CAPACITIES)})", cap_line, f"{where}.effect.{cap}")
            elif cap not in capacities:
                check.error(f"capacity {cap!r} is not in this provision's capacities", cap_line, f"{where}.effect.{cap}")
            elif verdict not in VERDICTS:
                check.error(f"unknown verdict {verdict!r} (known: {', '.join(VERDICTS)})", cap_line, f"{where}.effect.{cap}")
            else:
                effects[cap] = verdict
        for cap in capacities:
            if cap not in raw:
                check.error(f"no verdict for capacity {cap!r}", line, f"{where}.effect")
        return effects
    check.error(f"expected a verdict or a mapping of capacity to verdict, got {_kind(raw)}", line, f"{where}.effect")
    return {}


def _parse_triggers(check: Checker, data: LineDict, where: str) -> tuple[Trigger, ...]:
    raw = data.get("triggers")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        check.error(f"expected a list of phrases or patterns, got {_kind(raw)}", data.line_of("triggers"), f"{where}.triggers")
        return ()
    triggers = []
    for i, item in enumerate(raw):
        line = raw.line_of(i) if isinstance(raw, LineList) else data.line_of("triggers")
        field_name = f"{where}.triggers[{i}]"
        if isinstance(item, str) and item.strip():
            triggers.append(Trigger(item.strip(), None, line))
        elif isinstance(item, dict) and set(item) == {"pattern"} and isinstance(item["pattern"], str):
            try:
                triggers.append(Trigger(item["pattern"], re.compile(item["pattern"], re.IGNORECASE), line))
            except re.error as exc:
                check.error(f"invalid pattern: {exc}", line, field_name)
        else:
            check.error("expected a phrase, or a mapping with one key 'pattern'", line, field_name)
    return tuple(triggers)


def _parse_provision(check: Checker, data: LineDict, where: str, source: Source, file: str) -> Provision | None:
    check.unknown_keys(data, PROVISION_FIELDS, where)
    pid = check.text(data, "id", where)
    if pid and not ID_PATTERN.match(pid):
        check.error(f"id {pid!r} must be lower-case words joined by '-' in dot-separated parts, e.g. au-aps.circular.aliases",
                    data.line_of("id"), f"{where}.id")
    if pid:
        where = f"{where} ({pid})"
    title = check.text(data, "title", where)
    citation = check.text(data, "citation", where)
    quote = check.text(data, "quote", where)
    summary = check.text(data, "summary", where)
    kind = check.choice(data, "kind", where, KINDS, default=source.kind)
    jurisdiction = check.choice(data, "jurisdiction", where, JURISDICTIONS, default=source.jurisdiction)
    topics = check.choices(data, "topics", where, TOPICS, "topic")
    capacities = check.choices(data, "capacities", where, CAPACITIES, "capacity")
    effects = _parse_effect(check, data, where, capacities)
    triggers = _parse_triggers(check, data, where)
    advice = check.text(data, "advice", where, required=False)
    escalate = check.boolean(data, "escalate", where)
    always = _parse_always(check, data, where, capacities)
    findings = _parse_findings(check, data, where)
    url = check.text(data, "url", where, required=False)
    if kind == "guidance" and "do-not-post" in effects.values():
        check.error("guidance never forbids on its own: its effect cannot be do-not-post (make it caution, "
                    "or cite a rule)", data.line_of("effect"), f"{where}.effect")
    if not triggers and not always:
        check.error("a provision needs triggers (phrases or patterns that bring it up), or always",
                    data.line, f"{where}.triggers")
    if not all((pid, title, citation, quote, summary, topics, capacities, effects, jurisdiction)):
        return None
    return Provision(
        id=pid, title=title, jurisdiction=jurisdiction, source=source, citation=citation, quote=quote,
        summary=summary, kind=kind or "rule", topics=topics, capacities=capacities, effects=effects,
        triggers=triggers, advice=advice, escalate=escalate, always=always, findings=findings, url=url or source.url,
        file=file, line=data.line,
    )


def _parse_always(check: Checker, data: LineDict, where: str, capacities: tuple[str, ...]) -> tuple[str, ...]:
    """``always: true`` (every capacity the provision applies to) or a list of some of them."""
    raw = data.get("always", False)
    if raw is False:
        return ()
    if raw is True:
        return capacities
    chosen = check.choices(data, "always", where, CAPACITIES, "capacity")
    for cap in chosen:
        if cap not in capacities:
            check.error(f"capacity {cap!r} is not in this provision's capacities", data.line_of("always"), f"{where}.always")
    return tuple(c for c in chosen if c in capacities)


def _parse_findings(check: Checker, data: LineDict, where: str) -> tuple[str, ...]:
    """Detector kinds named by the provision; the loader checks they exist."""
    raw = data.get("findings", [])
    if not isinstance(raw, list) or not all(isinstance(k, str) and k for k in raw):
        check.error("expected a list of detector kinds", data.line_of("findings"), f"{where}.findings")
        return ()
    return tuple(raw)


# --- profiles ---------------------------------------------------------------------

PROFILE_FIELDS = {"name", "jurisdiction", "extends", "sources", "contact", "authorisation_contact", "overrides", "periods"}


@dataclass
class RawProfile:
    """A profile as written, before ``extends`` is resolved."""

    id: str
    name: str
    jurisdiction: str
    sources: list[tuple[str, int]]
    contact: Contact | None
    authorisation_contact: Contact | None
    extends: str | None
    overrides: list[Override]
    periods: list[Period]
    line: int
    extends_line: int = 0


def parse_profiles(data: Any, file: str) -> tuple[list[RawProfile], list[KnowledgeError]]:
    """Check ``profiles.yaml``: a ``profiles`` mapping of profile id to its settings."""
    check = Checker(file)
    top = check.mapping(data, "", 1)
    if top is None:
        return [], check.errors
    check.unknown_keys(top, {"profiles"}, "")
    profiles_raw = top.get("profiles")
    if not isinstance(profiles_raw, dict) or not profiles_raw:
        check.error("expected a mapping of profile id to profile", top.line_of("profiles"), "profiles")
        return [], check.errors
    profiles = []
    for pid, raw in profiles_raw.items():
        where = f"profiles.{pid}"
        line = profiles_raw.line_of(pid)
        if not isinstance(pid, str) or not PROFILE_ID_PATTERN.match(pid):
            check.error("a profile id is lower-case words joined by '-', e.g. au-aps", line, where)
            continue
        data = check.mapping(raw, where, line)
        if data is None:
            continue
        check.unknown_keys(data, PROFILE_FIELDS, where)
        name = check.text(data, "name", where)
        jurisdiction = check.choice(data, "jurisdiction", where, JURISDICTIONS)
        extends = check.text(data, "extends", where, required=False)
        sources: list[tuple[str, int]] = []
        raw_sources = data.get("sources", [])
        if not isinstance(raw_sources, list):
            check.error("expected a list of knowledge-base files", data.line_of("sources"), f"{where}.sources")
        else:
            for i, item in enumerate(raw_sources):
                item_line = raw_sources.line_of(i) if isinstance(raw_sources, LineList) else data.line_of("sources")
                if isinstance(item, str) and item.strip():
                    sources.append((item.strip(), item_line))
                else:
                    check.error("expected a file path such as au/apsc-circular-2012-1.yaml", item_line, f"{where}.sources[{i}]")
        if not sources and not extends:
            check.error("a profile needs sources, or extends another profile", data.line, f"{where}.sources")
        contact = check.contact(data, "contact", where, required=not extends)
        authorisation = check.contact(data, "authorisation_contact", where, required=False)
        overrides = _parse_overrides(check, data, where, pid)
        periods = _parse_periods(check, data, where)
        profiles.append(RawProfile(pid, name or pid, jurisdiction or "", sources, contact, authorisation, extends,
                                   overrides, periods, line, data.line_of("extends")))
    return profiles, check.errors


def _items(check: Checker, data: LineDict, key: str, where: str) -> list[tuple[LineDict, str]]:
    raw = data.get(key, [])
    if not isinstance(raw, list):
        check.error(f"expected a list, got {_kind(raw)}", data.line_of(key), f"{where}.{key}")
        return []
    out = []
    for i, item in enumerate(raw):
        item_where = f"{where}.{key}[{i}]"
        line = raw.line_of(i) if isinstance(raw, LineList) else data.line_of(key)
        mapping = check.mapping(item, item_where, line)
        if mapping is not None:
            out.append((mapping, item_where))
    return out


def _parse_overrides(check: Checker, data: LineDict, where: str, profile: str) -> list[Override]:
    overrides = []
    for item, item_where in _items(check, data, "overrides", where):
        check.unknown_keys(item, {"provision", "disable", "effect", "reason"}, item_where)
        provision = check.text(item, "provision", item_where)
        reason = check.text(item, "reason", item_where)
        disable = check.boolean(item, "disable", item_where)
        effect = check.choice(item, "effect", item_where, VERDICTS, required=False)
        if disable == bool(effect):
            check.error("an override either sets disable: true or gives a new effect (one of the two)",
                        item.line, item_where)
            continue
        if provision and reason:
            overrides.append(Override(provision, reason, disable, effect, profile, item.line))
    return overrides


def _parse_periods(check: Checker, data: LineDict, where: str) -> list[Period]:
    periods = []
    for item, item_where in _items(check, data, "periods", where):
        check.unknown_keys(item, {"name", "start", "end", "topics", "raise_to", "reason"}, item_where)
        name = check.text(item, "name", item_where)
        dates = []
        for key in ("start", "end"):
            value = item.get(key)
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                check.error(f"expected a date such as 2025-03-28, got {_kind(value)}", item.line_of(key), f"{item_where}.{key}")
            dates.append(value)
        topics = check.choices(item, "topics", item_where, TOPICS, "topic")
        raise_to = check.choice(item, "raise_to", item_where, VERDICTS, required=False)
        reason = check.text(item, "reason", item_where, required=False) or ""
        start, end = dates
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            check.error("the period ends before it starts", item.line_of("end"), f"{item_where}.end")
            continue
        if name and topics and isinstance(start, dt.date) and isinstance(end, dt.date):
            periods.append(Period(name, start, end, topics, raise_to, reason))
    return periods


# --- readings ---------------------------------------------------------------------


def parse_readings(data: Any, file: str) -> tuple[dict[str, str], list[KnowledgeError]]:
    """``readings.yaml``: one plain phrase per topic, saying what the judgement read in a text."""
    check = Checker(file)
    top = check.mapping(data, "", 1)
    if top is None:
        return {}, check.errors
    check.unknown_keys(top, {"readings"}, "")
    table = top.get("readings")
    if not isinstance(table, dict):
        check.error("expected 'readings': a phrase for each topic", top.line_of("readings"), "readings")
        return {}, check.errors
    check.unknown_keys(table, set(TOPICS), "readings")
    readings = {}
    for topic in TOPICS:
        phrase = check.text(table, topic, "readings")
        if phrase:
            readings[topic] = phrase
    return readings, check.errors
