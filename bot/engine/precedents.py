"""Precedents: questions an ethics advisor has answered, searched like provisions.

The escalations store supplies them (resolved cases an advisor marked as a precedent, with
identifying details taken out); the engine shows the closest beside the cited provisions,
so the advisors' judgement reaches everyone asking the same thing.
"""

from __future__ import annotations

from typing import Iterable

from .answer import Precedent
from .text import Analyzer

MIN_SHARED = 3  # fewer shared words than this is not "a similar question"
THRESHOLD = 0.55


class PrecedentIndex:
    """Precedents ready to compare with a new question."""

    def __init__(self, analyzer: Analyzer):
        self.analyzer = analyzer
        self._items: list[tuple[dict, frozenset[str]]] = []

    def replace(self, precedents: Iterable[dict]) -> None:
        """Use these precedents from now on (dicts with ref, date, question, answer, profile)."""
        self._items = [(p, frozenset(self.analyzer.tokens(p["question"]))) for p in precedents]

    def __len__(self) -> int:
        return len(self._items)

    def similar(self, text: str, profile: str, limit: int = 2) -> list[Precedent]:
        if not self._items:
            return []
        query = frozenset(self.analyzer.tokens(text))
        if not query:
            return []
        found = []
        for precedent, tokens in self._items:
            if precedent.get("profile") not in (None, profile) or not tokens:
                continue
            shared = len(query & tokens)
            if shared < MIN_SHARED:
                continue
            score = (shared / len(query) + shared / len(tokens)) / 2
            if score >= THRESHOLD:
                found.append(Precedent(precedent["ref"], str(precedent["date"]), precedent["question"],
                                       precedent["answer"], score))
        found.sort(key=lambda p: (-p.score, p.ref))
        return found[:limit]
