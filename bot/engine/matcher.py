"""Find the provisions a text speaks to.

Every trigger phrase, title, summary and quote becomes an *entry*: a set of match tokens
(see :class:`~.text.Analyzer`). A query matches an entry by how much of the entry's
weight it covers, rare words weighing more (inverse document frequency over provisions),
and how much of the query the entry explains. Query words that are not in the index's
vocabulary are matched to near spellings with rapidfuzz, so "pseudonymn" still finds
"pseudonym". Pattern triggers are regular expressions run on the original text.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from ..kb import Provision
from .text import Analyzer

# How much each kind of entry can count: a trigger is written to be matched, a quote is not.
FIELD_WEIGHTS = {"trigger": 1.0, "title": 0.85, "summary": 0.7, "quote": 0.6}
FUZZY_CUTOFF = 86  # rapidfuzz ratio for a misspelt word to count as the word
FUZZY_MIN_LENGTH = 5  # shorter words differ by a letter too often (post/past, like/lie)


@dataclass(frozen=True)
class Entry:
    provision: int  # index into Index.provisions
    field: str
    text: str
    tokens: frozenset[str]


@dataclass(frozen=True)
class Match:
    """How well a text matched one provision, and through which entry."""

    provision: Provision
    score: float
    field: str
    entry: str
    pattern: bool = False
    span: tuple[int, int] | None = None


class Index:
    """Provisions of one profile, ready to match."""

    def __init__(self, provisions: list[Provision], analyzer: Analyzer):
        self.provisions = provisions
        self.analyzer = analyzer
        self.entries: list[Entry] = []
        # Document frequency counts provisions, not entries: a word in every trigger of one
        # provision is that provision's word, not a common one.
        df: dict[str, int] = defaultdict(int)
        for i, provision in enumerate(provisions):
            texts = [("trigger", t.text) for t in provision.triggers if not t.is_pattern]
            texts += [("title", provision.title), ("summary", provision.summary), ("quote", provision.quote)]
            seen: set[str] = set()
            for field, text in texts:
                tokens = frozenset(analyzer.tokens(text))
                if tokens:
                    self.entries.append(Entry(i, field, text, tokens))
                    seen |= tokens
            for token in seen:
                df[token] += 1
        self.postings: dict[str, list[int]] = defaultdict(list)
        for n, entry in enumerate(self.entries):
            for token in entry.tokens:
                self.postings[token].append(n)
        n_docs = max(len(provisions), 1)
        self.idf = {token: math.log(1 + n_docs / count) for token, count in df.items()}
        self.default_idf = math.log(1 + n_docs)
        self.entry_weight = [sum(self.idf[t] for t in e.tokens) for e in self.entries]
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for token in self.idf:
            if len(token) >= FUZZY_MIN_LENGTH:
                self._by_length[len(token)].append(token)
        self.patterns = [(i, t) for i, p in enumerate(provisions) for t in p.triggers if t.is_pattern]
        self._near = lru_cache(maxsize=16384)(self._near_uncached)

    def _near_uncached(self, token: str) -> tuple[tuple[str, float], ...]:
        """Other index words spelt nearly like ``token`` (a typo, or a sibling: economics, economist)."""
        if len(token) < FUZZY_MIN_LENGTH or token.isdigit():
            return ()
        candidates = [w for n in (len(token) - 1, len(token), len(token) + 1) for w in self._by_length.get(n, ())
                      if w != token]
        found = process.extract(token, candidates, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=3)
        return tuple((word, score / 100) for word, score, _ in found)

    def match(self, text: str, tokens: list[str] | None = None) -> list[Match]:
        """Every provision the text touches, best first (at most one match per provision)."""
        tokens = self.analyzer.tokens(text) if tokens is None else tokens
        query = set(tokens)
        similar: dict[str, tuple[str, float]] = {}  # index word -> (query word, similarity)
        for q in query:
            if q in self.idf:
                similar[q] = (q, 1.0)
        for q in query:
            for word, sim in self._near(q):
                if sim > similar.get(word, ("", 0.0))[1]:
                    similar[word] = (q, sim)
        query_weight = sum(self.idf.get(q, self.default_idf) for q in query) or 1.0

        best: dict[int, Match] = {}
        hits: dict[int, int] = defaultdict(int)
        for word in similar:
            for n in self.postings.get(word, ()):
                hits[n] += 1
        for n, count in hits.items():
            entry = self.entries[n]
            if count < 2 and len(entry.tokens) > 1:
                continue  # one shared word is a coincidence, not a match
            covered = 0.0
            explained: set[str] = set()
            for token in entry.tokens:
                hit = similar.get(token)
                if hit:
                    covered += self.idf[token] * hit[1]
                    explained.add(hit[0])
            if len(explained) < 2 and len(entry.tokens) > 1:
                continue  # two index words that are near spellings of one query word
            entry_cover = covered / self.entry_weight[n]
            query_cover = sum(self.idf.get(q, self.default_idf) for q in explained) / query_weight
            score = FIELD_WEIGHTS[entry.field] * entry_cover * (0.55 + 0.45 * min(1.0, query_cover / 0.6))
            current = best.get(entry.provision)
            if current is None or score > current.score:
                best[entry.provision] = Match(self.provisions[entry.provision], round(score, 4), entry.field, entry.text)

        for i, trigger in self.patterns:
            found = trigger.pattern.search(text)
            if found:
                best[i] = Match(self.provisions[i], 1.0, "pattern", trigger.text, True, found.span())
        return sorted(best.values(), key=lambda m: (-m.score, m.provision.id))
