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

from ..contract import CAPACITIES
from ..kb import Provision
from .text import Analyzer

# How much each kind of entry can count: a trigger is written to be matched, a quote is not.
FIELD_WEIGHTS = {"trigger": 1.0, "title": 0.85, "summary": 0.7, "quote": 0.6}
FUZZY_CUTOFF = 86  # rapidfuzz ratio for a misspelt word to count as the word
FUZZY_MIN_LENGTH = 5  # shorter words differ by a letter too often (post/past, like/lie)
MIN_REPORTED = 0.15  # weaker matches say nothing, even as a tie-breaker


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
        self._entry_provision = [e.provision for e in self.entries]
        self._field_weight = [FIELD_WEIGHTS[e.field] for e in self.entries]
        self._single = [len(e.tokens) <= 1 for e in self.entries]
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for token in self.idf:
            if len(token) >= FUZZY_MIN_LENGTH:
                self._by_length[len(token)].append(token)
        self.patterns = [(i, t) for i, p in enumerate(provisions) for t in p.triggers if t.is_pattern]
        # What deciding needs, per capacity, computed once rather than per answer.
        self.applicable = {cap: [p for p in provisions if p.applies_to(cap)] for cap in CAPACITIES}
        self.applicable_ids = {cap: {p.id for p in ps} for cap, ps in self.applicable.items()}
        self.always = {cap: [p for p in ps if cap in p.always] for cap, ps in self.applicable.items()}
        self.by_topic: dict[str, dict[str, list[Provision]]] = {}
        for cap, ps in self.applicable.items():
            topics: dict[str, list[Provision]] = defaultdict(list)
            for provision in ps:
                for topic in provision.topics:
                    topics[topic].append(provision)
            self.by_topic[cap] = dict(topics)
        self.by_finding: dict[str, dict[str, list[Provision]]] = {}
        for cap, ps in self.applicable.items():
            kinds: dict[str, list[Provision]] = defaultdict(list)
            for provision in ps:
                for kind in provision.findings:
                    kinds[kind].append(provision)
            self.by_finding[cap] = dict(kinds)
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

        # One pass over the postings of the words the query has: per entry, how much of its weight
        # is covered, by how many words, and how much query weight it explains.
        covered: dict[int, float] = defaultdict(float)
        explained: dict[int, float] = defaultdict(float)
        count: dict[int, int] = defaultdict(int)
        seen_query_word: set[tuple[int, str]] = set()
        idf, default_idf = self.idf, self.default_idf
        for word, (q, sim) in similar.items():
            weight = idf[word] * sim
            q_weight = idf.get(q, default_idf)
            fuzzy = word != q
            for n in self.postings.get(word, ()):
                covered[n] += weight
                if fuzzy:  # two near spellings of one query word in an entry count once
                    if (n, q) in seen_query_word:
                        continue
                    seen_query_word.add((n, q))
                count[n] += 1
                explained[n] += q_weight

        best_score: dict[int, float] = {}
        best_entry: dict[int, int] = {}
        entry_provision, entry_weight, field_weight, single = (
            self._entry_provision, self.entry_weight, self._field_weight, self._single)
        for n, hits in count.items():
            if hits < 2 and not single[n]:
                continue  # one shared word is a coincidence, not a match
            entry_cover = min(covered[n] / entry_weight[n], 1.0)
            query_cover = explained[n] / query_weight
            score = field_weight[n] * entry_cover * (0.55 + 0.45 * min(1.0, query_cover / 0.6))
            i = entry_provision[n]
            if score > best_score.get(i, -1.0):
                best_score[i] = score
                best_entry[i] = n
        best: dict[int, Match] = {}
        for i, score in best_score.items():
            if score >= MIN_REPORTED:
                entry = self.entries[best_entry[i]]
                best[i] = Match(self.provisions[i], round(score, 4), entry.field, entry.text)

        for i, trigger in self.patterns:
            found = trigger.pattern.search(text)
            if found:
                best[i] = Match(self.provisions[i], 1.0, "pattern", trigger.text, True, found.span())
        return sorted(best.values(), key=lambda m: (-m.score, m.provision.id))
