"""Text in and out: cleaning user input, and the one normalisation every match uses.

Provisions' triggers, titles, summaries and quotes go through :class:`Analyzer` once, at
load; each question or draft goes through the same analyzer, so both sides always meet
in the same form: folded case and accents, synonyms made one word, endings stripped,
stop words dropped.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ..errors import InputError
from ..kb.detectors import Vocabulary

MAX_CHARS = 40_000  # Slack's message limit; longer text is refused, not silently cut

# Control characters, zero-width characters, bidirectional controls and lone surrogates (not
# text): invisible, they can hide words from the detectors ("PRO\u200bTECTED") or show a text
# other than the one checked.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")
_LINK = re.compile(r"https?://\S+|www\.\S+")
# An address starts where no address character comes before it: tried from every position of a
# long run of word characters, the search would be quadratic in the run.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PUNCT_FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def clean_input(text: object) -> tuple[str, list[str]]:
    """User text made safe to analyse, and notes on what was changed.

    Control characters and NUL bytes are removed (they carry no meaning and break
    terminals and logs); line endings are made ``\\n``. Empty or over-long text is an
    :class:`InputError` with a message to show as it is.
    """
    if not isinstance(text, str):
        raise InputError("the text must be a string")
    notes = []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    cleaned = _CONTROL.sub("", text)
    if cleaned != text:
        notes.append(f"removed {len(text) - len(cleaned)} control character(s) from the text")
    if not cleaned.strip():
        raise InputError("there is no text to check: write the question or paste the draft post")
    if len(cleaned) > MAX_CHARS:
        raise InputError(
            f"the text is {len(cleaned):,} characters long; canipost checks at most {MAX_CHARS:,} "
            "(Slack's message limit): check it in parts"
        )
    return cleaned, notes


def fold(text: str) -> str:
    """Lower case, no accents, plain quotes and dashes, one space between words."""
    if text.isascii():
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKC", text).translate(_PUNCT_FOLD).casefold()
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = _LINK.sub(" link ", text)
    text = _EMAIL.sub(" email ", text)
    text = re.sub(r"[^\w\s]|_", " ", text)
    return re.sub(r"\s+", " ", text).strip()


# No -er: it makes "career" a "car" and "member" a "memb", and "minister(s)" meet through -s anyway.
_SUFFIXES = ("ising", "izing", "ation", "ments", "ment", "ness", "ings", "ing", "ies", "ied", "ised", "ized",
             "ise", "ize", "ed", "es", "ly", "s")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light, predictable stemmer: one common English ending off, then a silent e and a doubled letter.

    Deliberately crude: it only has to send a word and its variants (share, sharing,
    shared; criticise, criticising) to the same key, the same way on both sides.
    """
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "ls":
        word = word[:-1]  # runn(ing) -> run, stopp(ed) -> stop; keep "still", "class"
    return word


class Analyzer:
    """Turns text into match tokens with one vocabulary: the same on provisions and on queries."""

    def __init__(self, vocabulary: Vocabulary):
        self.stopwords = frozenset(stem(fold(w)) for w in vocabulary.stopwords) | vocabulary.stopwords
        self._words: dict[str, str] = {}
        # Multi-word variants ("social media", "secretary of state") as word tuples, with the
        # plural of their last word, looked up only where a text has one of their first words.
        self._phrases: dict[tuple[str, ...], str] = {}
        for canonical, variants in vocabulary.synonyms.items():
            for variant in variants:
                words = tuple(fold(variant).split())
                if len(words) > 1:
                    self._phrases[words] = canonical
                    self._phrases[words[:-1] + (words[-1] + "s",)] = canonical
                elif words:
                    self._words[stem(words[0])] = canonical
        self._starts = frozenset(p[0] for p in self._phrases)
        self._longest = max((len(p) for p in self._phrases), default=1)

    def tokens(self, text: str) -> list[str]:
        """Match tokens of ``text``, in order, duplicates kept."""
        words = fold(text).split()
        out = []
        i, n = 0, len(words)
        while i < n:
            word = words[i]
            if word in self._starts:
                for size in range(min(self._longest, n - i), 1, -1):
                    canonical = self._phrases.get(tuple(words[i:i + size]))
                    if canonical:
                        out.append(canonical)
                        i += size
                        break
                else:
                    canonical = None
                if canonical:
                    continue
            key = stem(word)
            key = self._words.get(key, key)
            if key not in self.stopwords and not (len(key) == 1 and not key.isdigit()):
                out.append(key)
            i += 1
        return out
