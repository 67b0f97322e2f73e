"""Spot what fuzzy matching cannot see in a draft: markings, contact details, named people,
party names, attacks on ministers, calls to buy or follow...

The rules are data (``detectors.yaml``, see :mod:`canipost.kb.detectors`); this module runs
them. A hit is a :class:`Finding`: the kind, the exact span of the original text, and the
rule that found it (its topics, effect, advice and mechanical fix).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ..kb import DetectorSpec, Vocabulary

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Digits with the separators phone numbers use; the digit count is checked separately.
PHONE = re.compile(r"(?<![\w$.,/])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d[\d\s.-]{5,16}\d(?![\w%/])")
DATE_LIKE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
WORD = re.compile(r"\w+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
# Detector patterns run sentence by sentence, and a pattern may look to the end of its sentence
# ("(?=[^.!?]*$)") from every place it could start: over a text with no punctuation that is
# quadratic. A sentence longer than this is read in pieces of about this size, cut between
# words, so the work per piece is bounded and the whole stays linear in the text.
MAX_SENTENCE = 1000
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
    """Spans of the sentences (or lines) of ``text``, none longer than :data:`MAX_SENTENCE`."""
    spans, start = [], 0
    for boundary in SENTENCE_END.finditer(text):
        if boundary.start() > start:
            spans += _pieces(text, start, boundary.start())
        start = boundary.end()
    if start < len(text):
        spans += _pieces(text, start, len(text))
    return spans


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``start:end`` in pieces of at most :data:`MAX_SENTENCE` characters, cut at a space if there is one."""
    pieces = []
    while end - start > MAX_SENTENCE:
        cut = text.rfind(" ", start + MAX_SENTENCE // 2, start + MAX_SENTENCE)
        cut = cut if cut > start else start + MAX_SENTENCE
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


class WordCount:
    """How many words lie between two places in a text, in logarithmic time (counting them
    again for every pair of hits would make a long sentence cubic)."""

    def __init__(self, text: str):
        self._starts = [m.start() for m in WORD.finditer(text)]
        self._ends = [m.end() for m in WORD.finditer(text)]

    def between(self, lo: int, hi: int) -> int:
        """Words wholly inside ``lo:hi``."""
        if hi <= lo:
            return 0
        return max(0, bisect.bisect_right(self._ends, hi) - bisect.bisect_left(self._starts, lo))


class Spans:
    """One pattern's matches in a sentence (they never overlap one another, so they are in order
    of start and of end alike), searched for the nearest to a hit in logarithmic time."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.spans = spans
        self._starts = [s for s, _ in spans]
        self._ends = [e for _, e in spans]

    def __bool__(self) -> bool:
        return bool(self.spans)

    def nearest(self, hit: tuple[int, int], words: WordCount, index: int):
        """The candidates for nearest to ``hit``, as (words between, pattern index, start, span):
        the first that overlaps it, the first after it, and the first of the nearest before it.
        The gap only grows away from the hit, so no other match can be nearer, or as near and earlier."""
        overlap = bisect.bisect_right(self._ends, hit[0])  # the first ending after the hit starts
        after = bisect.bisect_left(self._starts, hit[1])  # the first starting at or after its end
        if overlap < after:
            yield 0, index, self._starts[overlap], self.spans[overlap]
        if after < len(self.spans):
            yield words.between(hit[1], self._starts[after]), index, self._starts[after], self.spans[after]
        if overlap > 0:
            before = lambda k: words.between(self._ends[k], hit[0])  # noqa: E731 - falls as k grows
            gap = before(overlap - 1)
            lo, hi = 0, overlap - 1  # the earliest k whose gap is as small
            while lo < hi:
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if before(mid) == gap else (mid + 1, hi)
            yield gap, index, self._starts[lo], self.spans[lo]


class Companions:
    """A detector's companion patterns around one sentence, searched once for all its hits (once
    per hit, a sentence with many hits would be searched again and again)."""

    def __init__(self, text: str, patterns, start: int, end: int, window_start: int, window_end: int,
                 words: WordCount):
        self.text, self.patterns, self.words = text, patterns, words
        self.start, self.end, self.window_start, self.window_end = start, end, window_start, window_end
        self._in_sentence: list[Spans] | None = None
        self._outside: tuple[tuple[int, int] | None] | None = None

    def nearest(self, hit: tuple[int, int], near: int | None) -> tuple[int, int] | None:
        """Where a companion matches: in the sentence if it can (the nearest, within ``near`` words
        of the hit when that is set; of equally near ones, the first pattern's first), else in
        the sentence before or after."""
        if self._in_sentence is None:
            self._in_sentence = [Spans([m.span() for m in c.finditer(self.text, self.start, self.end)])
                                 for c in self.patterns]
        if any(self._in_sentence):
            gap, _, _, nearest = min(found for index, spans in enumerate(self._in_sentence)
                                     for found in spans.nearest(hit, self.words, index))
            return nearest if near is None or gap <= near else None
        if self._outside is None:
            self._outside = (self._beside(),)
        return self._outside[0]

    def _beside(self) -> tuple[int, int] | None:
        for c in self.patterns:
            found = (c.search(self.text, self.window_start, self.start)
                     or c.search(self.text, self.end, self.window_end))
            if found:
                return found.span()
        return None


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
        words = WordCount(text)
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
                hits = self._patterns(text, spans, spec, jurisdiction, words)
            findings += hits
        for spec in self.specs:
            if spec.builtin == "person" and mode in spec.modes:
                findings += self._people(text, spec, jurisdiction, contact_details)
        if any(f.spec.reports_others for f in findings):
            findings = [f for f in findings if not f.spec.content]
        return _merge(findings)

    def _patterns(self, text: str, spans: list[tuple[int, int]], spec: DetectorSpec, jurisdiction: str,
                  words: WordCount) -> list[Finding]:
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
            around = Companions(text, companions, start, end, window_start, window_end, words) if companions else None
            for pattern in patterns:
                for m in pattern.finditer(sentence):
                    if any(a.fullmatch(m.group(0)) for a in spec.allow):
                        continue
                    s, e = start + m.start(), start + m.end()
                    if around is not None:
                        other = around.nearest((s, e), spec.near)
                        if other is None:
                            continue
                        if start <= other[0] and other[1] <= end:  # same sentence: report the span covering both
                            s, e = min(s, other[0]), max(e, other[1])
                    hits.append(Finding(spec.kind, text[s:e], s, e, spec))
        return hits

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
    # Every finding kept so far starts no later than this one: it is contained in one of its
    # kind exactly when the furthest end among them reaches past it. (Comparing with each
    # kept finding is quadratic in a text with thousands of emails.)
    furthest: dict[str, int] = {}
    for finding in findings:
        if furthest.get(finding.kind, -1) >= finding.end:
            continue
        kept.append(finding)
        furthest[finding.kind] = max(furthest.get(finding.kind, -1), finding.end)
    return kept
