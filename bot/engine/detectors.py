"""Spot what fuzzy matching cannot see in a draft: markings, contact details, named people,
party names, attacks on ministers, calls to buy or follow...

The rules are data (``detectors.yaml``, see :mod:`canipost.kb.detectors`); this module runs
them. A hit is a :class:`Finding`: the kind, the exact span of the original text, and the
rule that found it (its topics, effect, advice and mechanical fix).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..kb import DetectorSpec, Vocabulary

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Digits with the separators phone numbers use; the digit count is checked separately.
PHONE = re.compile(r"(?<![\w$.,/])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d[\d\s.-]{5,16}\d(?![\w%/])")
DATE_LIKE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
WORD = re.compile(r"\w+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
PUBLIC_TITLE = re.compile(
    r"(?:minister|premier|senator|councillor|councilor|mayor|mp|mla|mpp|president|secretary|"
    r"commissioner|governor|judge|justice|dr|professor|prof|sir|dame|lord|lady)\.?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    """A span of the text that triggered a rule."""

    kind: str
    text: str
    start: int
    end: int
    spec: DetectorSpec = field(compare=False, repr=False)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text, "start": self.start, "end": self.end}


def sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences (or lines) of ``text``."""
    spans, start = [], 0
    for boundary in SENTENCE_END.finditer(text):
        if boundary.start() > start:
            spans.append((start, boundary.start()))
        start = boundary.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


class Detectors:
    """Every detector of a knowledge base, ready to run on a text."""

    def __init__(self, specs: list[DetectorSpec], vocabulary: Vocabulary):
        self.specs = specs
        self.given_names = vocabulary.given_names
        # A capitalised word followed by another: a candidate "Firstname Lastname". The lookahead
        # lets candidates overlap, so "Contact John Smith" still offers "John Smith".
        self._name = re.compile(r"\b(?=([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\s+((?:[A-Z]\.\s+)?(?:Mc|Mac|O')?[A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b)")

    def find(self, text: str, mode: str, jurisdiction: str) -> list[Finding]:
        """Findings in ``text``, in order of position, overlapping hits of one kind merged."""
        spans = sentences(text)
        findings: list[Finding] = []
        contact_details: list[Finding] = []
        for spec in self.specs:
            if mode not in spec.modes:
                continue
            if spec.builtin == "email":
                hits = self._emails(text, spec)
                contact_details += hits
            elif spec.builtin == "phone":
                hits = self._phones(text, spec)
                contact_details += hits
            elif spec.builtin == "person":
                continue  # needs the contact details found by the others; run below
            else:
                hits = self._patterns(text, spans, spec, jurisdiction)
            findings += hits
        for spec in self.specs:
            if spec.builtin == "person" and mode in spec.modes:
                findings += self._people(text, spec, jurisdiction, contact_details)
        if any(f.spec.reports_others for f in findings):
            findings = [f for f in findings if not f.spec.content]
        return _merge(findings)

    def _patterns(self, text: str, spans: list[tuple[int, int]], spec: DetectorSpec, jurisdiction: str) -> list[Finding]:
        patterns = spec.patterns_for(spec.patterns, jurisdiction)
        companions = spec.patterns_for(spec.with_patterns, jurisdiction)
        unless = spec.patterns_for(spec.unless, jurisdiction)
        hits = []
        for index, (start, end) in enumerate(spans):
            sentence = text[start:end]
            if any(u.search(sentence) for u in unless):
                continue
            # The companion may sit in the sentence before or after ("The Minister said X. Total
            # nonsense."; "My manager is fiddling the figures. I'll post it on Reddit.").
            window_start = spans[index - 1][0] if index else start
            window_end = spans[index + 1][1] if index + 1 < len(spans) else end
            for pattern in patterns:
                for m in pattern.finditer(sentence):
                    if any(a.fullmatch(m.group(0)) for a in spec.allow):
                        continue
                    s, e = start + m.start(), start + m.end()
                    if companions:
                        other = self._companion(text, companions, start, end, window_start, window_end, (s, e),
                                                spec.near)
                        if other is None:
                            continue
                        if start <= other[0] and other[1] <= end:  # same sentence: report the span covering both
                            s, e = min(s, other[0]), max(e, other[1])
                    hits.append(Finding(spec.kind, text[s:e], s, e, spec))
        return hits

    @staticmethod
    def _companion(text: str, companions, start: int, end: int, window_start: int, window_end: int,
                   hit: tuple[int, int], near: int | None) -> tuple[int, int] | None:
        """Where a companion matches: in the sentence if it can (the nearest, within ``near`` words
        of the hit when that is set), else in the sentence before or after."""
        spans = [m.span() for c in companions for m in c.finditer(text, start, end)]
        if spans:
            def gap(span: tuple[int, int]) -> int:
                lo, hi = (span[1], hit[0]) if span[1] <= hit[0] else (hit[1], span[0])
                return len(WORD.findall(text, lo, hi)) if hi > lo else 0
            nearest = min(spans, key=gap)
            return nearest if near is None or gap(nearest) <= near else None
        for c in companions:
            found = c.search(text, window_start, start) or c.search(text, end, window_end)
            if found:
                return found.span()
        return None

    def _emails(self, text: str, spec: DetectorSpec) -> list[Finding]:
        return [Finding(spec.kind, m.group(0), m.start(), m.end(), spec) for m in EMAIL.finditer(text)
                if not any(a.search(m.group(0)) for a in spec.allow)]

    def _phones(self, text: str, spec: DetectorSpec) -> list[Finding]:
        hits = []
        for m in PHONE.finditer(text):
            candidate = m.group(0).strip()
            digits = sum(c.isdigit() for c in candidate)
            if not 8 <= digits <= 15 or DATE_LIKE.match(candidate) or any(a.search(candidate) for a in spec.allow):
                continue
            start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
            hits.append(Finding(spec.kind, candidate, start, start + len(candidate), spec))
        return hits

    def _people(self, text: str, spec: DetectorSpec, jurisdiction: str, contact: list[Finding]) -> list[Finding]:
        """Named people, when the text also gives details that identify them or their affairs."""
        cues = spec.patterns_for(spec.patterns, jurisdiction)
        if not contact and not any(c.search(text) for c in cues):
            return []
        hits = []
        for m in self._name.finditer(text):
            first = m.group(1)
            if first.lower() not in self.given_names or PUBLIC_TITLE.search(text[max(0, m.start() - 25):m.start()]):
                continue
            end = m.end(2)
            hits.append(Finding(spec.kind, text[m.start():end], m.start(), end, spec))
        return hits


def _merge(findings: list[Finding]) -> list[Finding]:
    """Drop a finding contained in another of the same kind; order by position."""
    findings = sorted(findings, key=lambda f: (f.start, -(f.end - f.start)))
    kept: list[Finding] = []
    for finding in findings:
        if any(k.kind == finding.kind and k.start <= finding.start and finding.end <= k.end for k in kept):
            continue
        kept.append(finding)
    return kept
