"""Subword tokens for the static embedding, in plain Python.

The embedding the model was trained with (WordLlama's ``l2_supercat`` table) pairs each token
of a byte-pair-encoding vocabulary with a vector. This module encodes text exactly as that
tokenizer does (a "▁" for every space and before the text, merges applied lowest rank first,
bytes for characters outside the vocabulary), so answering needs no tokenizer library. A merge
never joins a letter to a following "▁", so each run of "▁" with the word after it is encoded on
its own and remembered; a run longer than :data:`MAX_PIECE` characters is cut into pieces,
which keeps the work linear in the text.
"""

from __future__ import annotations

import re

SPACE = "\u2581"
MAX_PIECE = 24
_PIECE = re.compile(f"{SPACE}+[^{SPACE}]*|[^{SPACE}]+")
_CACHE_LIMIT = 50_000


class SubwordTokenizer:
    """Byte-pair encoding over a vocabulary and its ranked merges."""

    def __init__(self, vocab: list[str], merges: list[tuple[str, str]]):
        self.ids = {token: i for i, token in enumerate(vocab)}
        self.ranks = {pair: rank for rank, pair in enumerate(merges)}
        self.bytes = [self.ids.get(f"<0x{b:02X}>", 0) for b in range(256)]
        self._cache: dict[str, tuple[int, ...]] = {}

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``."""
        ids: list[int] = []
        if not text:
            return ids
        normalised = SPACE + text.replace(" ", SPACE)
        for m in _PIECE.finditer(normalised):
            piece = m.group(0)
            for start in range(0, len(piece), MAX_PIECE):
                part = piece[start:start + MAX_PIECE]
                cached = self._cache.get(part)
                if cached is None:
                    cached = self._encode_piece(part)
                    if len(self._cache) >= _CACHE_LIMIT:
                        self._cache.clear()
                    self._cache[part] = cached
                ids.extend(cached)
        return ids

    def _encode_piece(self, piece: str) -> tuple[int, ...]:
        symbols = list(piece)
        ranks = self.ranks
        while len(symbols) > 1:
            best, best_rank = -1, None
            for i in range(len(symbols) - 1):
                rank = ranks.get((symbols[i], symbols[i + 1]))
                if rank is not None and (best_rank is None or rank < best_rank):
                    best, best_rank = i, rank
            if best < 0:
                break
            symbols[best:best + 2] = [symbols[best] + symbols[best + 1]]
        ids: list[int] = []
        for symbol in symbols:
            token = self.ids.get(symbol)
            if token is None:
                ids.extend(self.bytes[b] for b in symbol.encode("utf-8", "replace"))
            else:
                ids.append(token)
        return tuple(ids)
