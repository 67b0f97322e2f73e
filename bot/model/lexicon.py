"""Word lists as data: who a post is about, what it calls for, how it says it.

``knowledge/lexicons/*.yaml`` each hold ``lexicon:``, a list of entries::

    - kind: party                 # what the terms stand for (unique across the files)
      label: a political party    # how an answer names it
      terms:                      # by jurisdiction (AU, NZ, UK, CA) or for all of them (all)
        UK: [Labour, tories, lib dems]

Terms are matched on whole words with case and accents folded, except that a term written
with capitals counts only when the text writes it so ("Labour" the party, not "labour" the
work). Matching looks each position up in a table of term word-sequences, so it is linear in
the text whatever the lists hold.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..contract import JURISDICTIONS
from ..errors import KnowledgeError, KnowledgeErrors
from ..kb.schema import Checker
from ..kb.yamlfile import LineList, load_files

LEXICON_DIR = "lexicons"
ENTRY_FIELDS = {"kind", "label", "terms"}
KIND = re.compile(r"^[a-z]+(?:-[a-z]+)*$")
MAX_TERM_WORDS = 6

# A word (with inner apostrophes), or any single character that is neither a word nor a space
# (punctuation, an emoji). Emoji modifiers are dropped first so "🤦🏽‍♀️" reads as "🤦".
_TOKEN = re.compile(r"\w+(?:['\u2019]\w+)*|[^\w\s]")
_EMOJI_MODIFIERS = re.compile("[\u200d\ufe0e\ufe0f\u2640\u2642\U0001f3fb-\U0001f3ff]")
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


@lru_cache(maxsize=4096)
def _plain(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 else char


def plain_letters(text: str) -> str:
    """``text`` with styled letters written plainly, one character for one so spans still point
    into the original: 𝐛𝐨𝐥𝐝, ⓒⓘⓡⓒⓛⓔⓓ and ｆｕｌｌｗｉｄｔｈ letters, used for emphasis in posts,
    read as the words they spell."""
    return text if text.isascii() else "".join(map(_plain, text))


@dataclass(frozen=True)
class Token:
    """One word or symbol of a text: as written, folded, and where it is."""

    text: str
    folded: str
    start: int
    end: int


def fold_word(word: str) -> str:
    """Lower case, no accents, plain apostrophes, no possessive 's ("Luxon's" is "luxon")."""
    if not word.isascii():
        word = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
        word = word.replace("\u2019", "'")
    word = word.casefold()
    return word[:-2] if word.endswith("'s") and len(word) > 2 else word


def tokenize(text: str) -> list[Token]:
    """Words and symbols of ``text`` with their spans; a hashtag's run-together words are split
    ("#VoteNoNow" gives "#", "Vote", "No", "Now")."""
    text = _EMOJI_MODIFIERS.sub("\u200b", plain_letters(text)) if not text.isascii() else text
    tokens: list[Token] = []
    previous = ""
    for m in _TOKEN.finditer(text):
        word = m.group(0)
        if word == "\u200b":
            continue
        if previous == "#" and len(word) <= 60 and any(c.isupper() for c in word[1:]):
            for part in _CAMEL.finditer(word):
                s, e = m.start() + part.start(), m.start() + part.end()
                tokens.append(Token(part.group(0), fold_word(part.group(0)), s, e))
        else:
            folded = fold_word(word)
            if folded:  # nothing but accents or marks: no word to read
                tokens.append(Token(word, folded, m.start(), m.end()))
        previous = word
    return tokens


def _case_shape(word: str) -> str | None:
    """What a term's capitals demand of the text: all capitals, an initial capital, or nothing."""
    if len(word) > 1 and word.isupper():
        return "upper"
    if word[:1].isupper():
        return "initial"
    return None


def _case_fits(shape: str | None, word: str) -> bool:
    if shape is None:
        return True
    return word.isupper() if shape == "upper" else word[:1].isupper()


@dataclass(frozen=True)
class Term:
    kind: str
    words: tuple[str, ...]
    shapes: tuple[str | None, ...]
    jurisdictions: frozenset[str]  # empty: all


@dataclass(frozen=True)
class Hit:
    """A term found in a text."""

    kind: str
    text: str
    start: int
    end: int
    first: int  # index of its first token
    last: int  # index of its last token


@dataclass
class Lexicon:
    """Every term of every entry, ready to be looked up."""

    labels: dict[str, str] = field(default_factory=dict)
    terms: dict[tuple[str, ...], list[Term]] = field(default_factory=dict)
    longest: int = 1

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.labels)

    def find(self, text: str, tokens: list[Token], jurisdiction: str) -> list[Hit]:
        """Every term of ``jurisdiction`` (or of all) in ``tokens``: at each position the longest
        term of each kind; linear in the number of tokens."""
        hits: list[Hit] = []
        n = len(tokens)
        for i in range(n):
            taken: set[str] = set()
            for size in range(min(self.longest, n - i), 0, -1):
                key = tuple(t.folded for t in tokens[i:i + size])
                for term in self.terms.get(key, ()):
                    if term.kind in taken or (term.jurisdictions and jurisdiction not in term.jurisdictions):
                        continue
                    if not all(_case_fits(shape, t.text) for shape, t in zip(term.shapes, tokens[i:i + size])):
                        continue
                    taken.add(term.kind)
                    start, end = tokens[i].start, tokens[i + size - 1].end
                    hits.append(Hit(term.kind, text[start:end], start, end, i, i + size - 1))
        return hits


def load_lexicon(root: Path) -> Lexicon:
    """Read and check ``root/lexicons/*.yaml``; every problem is reported at once with its line."""
    lexicon = Lexicon()
    errors: list[KnowledgeError] = []
    directory = root / LEXICON_DIR
    files = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    for _, name, data in load_files(files, errors):
        errors.extend(_parse(data, name, lexicon))
    if errors:
        raise KnowledgeErrors(errors)
    return lexicon


def _parse(data: Any, file: str, lexicon: Lexicon) -> list[KnowledgeError]:
    check = Checker(file)
    top = check.mapping(data, "", 1)
    if top is None:
        return check.errors
    check.unknown_keys(top, {"lexicon"}, "")
    entries = top.get("lexicon")
    if not isinstance(entries, list) or not entries:
        check.error("expected 'lexicon': a non-empty list of entries", top.line_of("lexicon"), "lexicon")
        return check.errors
    for i, raw in enumerate(entries):
        line = entries.line_of(i) if isinstance(entries, LineList) else top.line
        entry = check.mapping(raw, f"lexicon[{i}]", line)
        if entry is None:
            continue
        where = str(entry.get("kind") or f"lexicon[{i}]")
        check.unknown_keys(entry, ENTRY_FIELDS, where)
        kind = check.text(entry, "kind", where)
        label = check.text(entry, "label", where)
        if kind and not KIND.match(kind):
            check.error("a kind is lower-case words joined by hyphens", entry.line_of("kind"), f"{where}.kind")
            continue
        if kind in lexicon.labels:
            check.error(f"kind {kind!r} is defined twice", entry.line_of("kind"), f"{where}.kind")
            continue
        terms = entry.get("terms")
        if not isinstance(terms, dict) or not terms:
            check.error("expected 'terms': lists by jurisdiction (AU, NZ, UK, CA or all)", entry.line_of("terms"),
                        f"{where}.terms")
            continue
        if not kind or not label:
            continue
        lexicon.labels[kind] = label
        for region, words in terms.items():
            field_name = f"{where}.terms.{region}"
            if region != "all" and region not in JURISDICTIONS:
                check.error(f"unknown jurisdiction {region!r} (known: all, {', '.join(JURISDICTIONS)})",
                            terms.line_of(region), field_name)
                continue
            if not isinstance(words, list) or not words:
                check.error("expected a non-empty list of terms", terms.line_of(region), field_name)
                continue
            seen: set[tuple[str, ...]] = set()
            for j, word in enumerate(words):
                item_line = words.line_of(j) if isinstance(words, LineList) else terms.line_of(region)
                if not isinstance(word, (str, int)) or not str(word).strip():
                    check.error("a term is a word or a phrase", item_line, f"{field_name}[{j}]")
                    continue
                tokens = tokenize(str(word))
                if not tokens or len(tokens) > MAX_TERM_WORDS:
                    check.error(f"a term is one to {MAX_TERM_WORDS} words", item_line, f"{field_name}[{j}]")
                    continue
                key = tuple(t.folded for t in tokens)
                if key in seen:
                    check.error(f"term {word!r} listed twice", item_line, f"{field_name}[{j}]")
                    continue
                seen.add(key)
                term = Term(kind, key, tuple(_case_shape(t.text) for t in tokens),
                            frozenset() if region == "all" else frozenset({region}))
                lexicon.terms.setdefault(key, []).append(term)
                lexicon.longest = max(lexicon.longest, len(key))
    return check.errors
