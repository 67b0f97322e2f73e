"""Texts of every awkward shape, at any length: what a hostile user, a paste gone wrong or a
long thread can send. The engine benchmark prints the worst of them at Slack's limit;
``test_linear.py`` checks that none grows faster than the text."""

from __future__ import annotations

from typing import Callable


def _repeat(unit: str) -> Callable[[int], str]:
    return lambda n: (unit * (n // len(unit) + 1))[:n]


def _distinct_words(n: int) -> str:
    # Made-up words, none repeated: every one is new to the matcher's spelling search.
    consonants, vowels = "bcdfghjklmnprstvwz", "aeiou"
    words, i = [], 0
    while sum(len(w) + 1 for w in words) < n:
        a, b, c = i % 18, (i // 18) % 5, (i // 90) % 18
        d, e = (i // 1620) % 5, (i // 8100) % 18
        words.append(consonants[a] + vowels[b] + consonants[c] + vowels[d] + consonants[e] + "ing")
        i += 1
    return " ".join(words)[:n]


SHAPES: dict[str, Callable[[int], str]] = {
    "underscores": _repeat("_"),
    "one long word": _repeat("a"),
    "no punctuation": _repeat("you people never read the form honestly Bob Smith said "),
    "capitals": _repeat("JOHN SMITH MARY JONES "),
    "names": _repeat("John Smith Mary Jones "),
    "emails": _repeat("jo.bloggs@example.com "),
    "at signs": _repeat("a@b"),
    "dotted email-ish": _repeat("a.b.c.d.e@"),
    "phones": _repeat("0412 345 678 "),
    "digits": _repeat("1"),
    "digits and spaces": _repeat("1 "),
    "names with contact details": _repeat("Call John Smith on 0412 345 678 or jo@example.com "),
    "dashes": _repeat("a-"),
    "dots": _repeat("."),
    "links": _repeat("https://example.com/a_b "),
    "eye-rolls": _repeat("🙄 "),
    "emoji": _repeat("👏🙃😀 "),
    "mixed scripts": _repeat("日本語 Ελληνικά русский עברית العربية "),
    "zero-width characters": _repeat("pro\u200btected\u200d bud\u2060get "),
    "bidi controls": _repeat("\u202eSECRET\u202c \u2066budget\u2069 "),
    "short sentences": _repeat("You people never read. "),
    "lines": _repeat("Smith\n"),
    "distinct words": _distinct_words,
    "minister insults": _repeat("the minister is an idiot and a liar "),
}
