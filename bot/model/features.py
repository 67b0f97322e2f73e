"""From a text and who writes it to the numbers the model reads.

A text gives three groups of evidence, each a set of named features hashed into one space of
:data:`DIMENSIONS` columns (CRC-32 of the name, so the same text always lands in the same
columns on every machine):

- ``w:``/``b:`` words and word pairs, folded (sub-linear counts, scaled to unit length);
- ``k:``/``s:``/``v:`` what the analysers saw: terms by kind, signals ("hostile to the
  government"), overall tone;
- ``x:`` the context: capacity, mode, profile.

Every text feature also appears once more prefixed by the capacity (``official|w:vote``), so
the model can learn that the same words weigh differently from an agency's account. Beside the
hashed features, the models read the text's vector in a static embedding (:mod:`.embedding`),
which carries meaning across words the corpus never used.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

from .analysers import Analysis

DIMENSIONS = 1 << 20


def column(name: str) -> int:
    """The hashed column of a feature name."""
    return zlib.crc32(name.encode("utf-8")) & (DIMENSIONS - 1)


@dataclass
class Features:
    """One text's features: name -> value (before hashing, so an answer can say which fired)."""

    values: dict[str, float]

    def columns(self) -> dict[int, float]:
        hashed: dict[int, float] = {}
        for name, value in self.values.items():
            key = column(name)
            hashed[key] = hashed.get(key, 0.0) + value
        return hashed


def _unit(counts: dict[str, float]) -> dict[str, float]:
    """Sub-linear counts (1 + log n) scaled to unit length."""
    if not counts:
        return {}
    scaled = {k: 1.0 + math.log(v) for k, v in counts.items()}
    norm = math.sqrt(sum(v * v for v in scaled.values()))
    return {k: v / norm for k, v in scaled.items()}


def word_features(analysis: Analysis) -> dict[str, float]:
    """Words and word pairs."""
    words: dict[str, float] = {}
    previous = None
    for token in analysis.tokens:
        folded = token.folded
        if folded.isdigit():
            folded = "#num"
        elif not folded[0].isalnum() and folded not in "?!" and not _is_symbol(folded):
            previous = None
            continue
        words[f"w:{folded}"] = words.get(f"w:{folded}", 0) + 1
        if previous is not None:
            pair = f"b:{previous} {folded}"
            words[pair] = words.get(pair, 0) + 1
        previous = folded
    return _unit(words)


def _is_symbol(token: str) -> bool:
    """An emoji or other pictograph (they carry tone), as opposed to punctuation."""
    return len(token) == 1 and ord(token) >= 0x2190


def analysis_features(analysis: Analysis) -> dict[str, float]:
    """What the analysers saw, as present/absent features."""
    names = {f"k:{kind}" for kind in analysis.kinds()}
    for signal in analysis.signals:
        names.add(f"s:{signal.name}")
        if signal.target:
            names.add(f"s:{signal.name}:{signal.target}")
        if signal.detail:
            names.add(f"s:{signal.name}:{signal.detail}")
    if analysis.chunks:
        lowest = min(c.compound for c in analysis.chunks)
        highest = max(c.compound for c in analysis.chunks)
        if lowest <= -0.6:
            names.add("v:very-negative")
        if lowest <= -0.3:
            names.add("v:negative")
        if highest >= 0.6:
            names.add("v:very-positive")
        if highest >= 0.3:
            names.add("v:positive")
    return {name: 1.0 for name in names}


def featurise(analysis: Analysis, capacity: str, mode: str, profile: str) -> Features:
    """Every feature of one text written in ``capacity`` for ``profile`` (``mode`` check or ask)."""
    text_features = {**word_features(analysis), **analysis_features(analysis)}
    values = dict(text_features)
    for name, value in text_features.items():
        values[f"{capacity}|{name}"] = value
    for name in (f"x:{capacity}", f"x:{mode}", f"x:{profile}", f"x:{profile}:{capacity}", f"x:{capacity}:{mode}",
                 f"x:{profile}:{capacity}:{mode}", "x:bias"):
        values[name] = 1.0
    return Features(values)
