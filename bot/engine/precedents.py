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

    def scored(self, text: str, profile: str) -> list[tuple[dict, float]]:
        """Each precedent of ``profile`` sharing at least :data:`MIN_SHARED` meaningful words with
        ``text``, with how alike they are: the share of each one's words the other has (after the
        analyzer's folding: case, endings, synonyms, stop words), averaged; best first."""
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
            if shared >= MIN_SHARED:
                found.append((precedent, (shared / len(query) + shared / len(tokens)) / 2))
        found.sort(key=lambda item: (-item[1], item[0]["ref"]))
        return found

    def similar(self, text: str, profile: str, limit: int = 2,
                scored: list[tuple[dict, float]] | None = None) -> list[Precedent]:
        """The precedents close enough to show beside an answer (``scored``: :meth:`scored`, if known)."""
        scored = self.scored(text, profile) if scored is None else scored
        return [as_precedent(p, score) for p, score in scored if score >= THRESHOLD][:limit]


def as_precedent(precedent: dict, score: float, followed: bool = False) -> Precedent:
    return Precedent(precedent["ref"], str(precedent["date"]), precedent["question"], precedent["answer"], score,
                     ruling=precedent.get("ruling"), followed=followed)
