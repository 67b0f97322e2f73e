"""Read a text the way an adviser skims it: who it is about, what it calls for, how it says it.

:class:`Analysers` runs the word lists of :mod:`.lexicon` and VADER's social-media sentiment
over a text, a sentence (or at most :data:`CHUNK_WORDS` words) at a time, and returns an
:class:`Analysis`: the terms found, each chunk's tone, and :class:`Signal` s, the combinations
that matter ("negative about the government", "a call to vote beside a party"). The model
reads signals as features; answers quote them as the words that engaged a provision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .lexicon import Hit, Lexicon, Token, tokenize

CHUNK_WORDS = 40  # sentiment is judged a sentence at a time, and never on more words than this
NEGATIVE = -0.3  # VADER compound at or below this reads as negative
POSITIVE = 0.4  # and at or above this as positive

#: Who or what a post can be about (kinds of :file:`lexicons/targets.yaml`).
TARGETS = ("leader", "politician", "government", "party", "parliament", "election", "agency", "manager",
           "colleague", "client", "group")
#: Terms that make a chunk hostile whatever VADER says of it.
HOSTILE = ("insult", "dehumanising", "violence", "contempt-emoji", "violence-emoji")
#: An attack told with approval, a cheer or a laugh reads as approving violence.
CHEERS = ("approval", "praise", "irony")
CALLS = ("call-to-vote", "call-to-sign", "call-to-donate", "call-to-join", "call-to-share")
POLITICAL = ("leader", "politician", "government", "party", "parliament", "election")

#: How a signal reads in an answer, by its name.
SIGNAL_WORDS = {
    "hostile": "reads as hostile to {target}",
    "praise": "reads as praise of {target}",
    "campaign": "reads as {call} about {target}",
    "threat": "reads as approving violence",
    "dehumanising": "uses dehumanising words about people",
    "mockery": "mocks {target}",
    "exposure": "tells of {target} met through work",
}


@dataclass(frozen=True)
class Signal:
    """A combination of terms and tone that matters, with the words that carry it."""

    name: str  # hostile, praise, campaign, threat, dehumanising, mockery, exposure
    target: str  # a target kind, or "" when it has none
    words: tuple[str, ...]
    start: int
    end: int
    detail: str = ""  # the kind of call for a campaign

    def describe(self, labels: dict[str, str]) -> str:
        """The signal in plain words: "reads as hostile to the government"."""
        target = labels.get(self.target, self.target or "someone")
        call = labels.get(self.detail, self.detail)
        return SIGNAL_WORDS[self.name].format(target=target, call=call)


@dataclass
class Chunk:
    first: int
    last: int
    start: int
    end: int
    compound: float = 0.0
    hits: list[Hit] = field(default_factory=list)

    def kinds(self) -> set[str]:
        return {h.kind for h in self.hits}


@dataclass
class Analysis:
    """What the analysers saw in one text."""

    text: str
    tokens: list[Token]
    hits: list[Hit]
    chunks: list[Chunk]
    signals: list[Signal]

    def kinds(self) -> set[str]:
        return {h.kind for h in self.hits}


class Analysers:
    """The word lists and the sentiment model, ready to read texts."""

    def __init__(self, lexicon: Lexicon):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.lexicon = lexicon
        self._vader = SentimentIntensityAnalyzer()

    def analyse(self, text: str, jurisdiction: str,
                respell: Callable[[list[Token]], list[Token]] | None = None) -> Analysis:
        """Read ``text``; ``respell`` may read some of its words as others (typing slips) first."""
        tokens = tokenize(text)
        if respell is not None:
            tokens = respell(tokens)
        hits = self.lexicon.find(text, tokens, jurisdiction)
        chunks = _chunks(text, tokens)
        by_chunk = iter(chunks)
        chunk = next(by_chunk, None)
        for hit in sorted(hits, key=lambda h: h.first):
            while chunk is not None and hit.first > chunk.last:
                chunk = next(by_chunk, None)
            if chunk is not None:
                chunk.hits.append(hit)
        for chunk in chunks:
            chunk.compound = self._vader.polarity_scores(text[chunk.start:chunk.end])["compound"]
        return Analysis(text, tokens, hits, chunks, _signals(chunks))


def _chunks(text: str, tokens: list[Token]) -> list[Chunk]:
    """Sentences (ended by . ! ? or a line break), cut to at most CHUNK_WORDS tokens."""
    chunks: list[Chunk] = []
    first = 0
    for i, token in enumerate(tokens):
        ends_sentence = token.text in ".!?" or (i + 1 < len(tokens) and "\n" in text[token.end:tokens[i + 1].start])
        if ends_sentence or i - first + 1 >= CHUNK_WORDS or i == len(tokens) - 1:
            chunks.append(Chunk(first, i, tokens[first].start, token.end))
            first = i + 1
    return chunks


def _signals(chunks: list[Chunk]) -> list[Signal]:
    signals: list[Signal] = []
    political_text = any(h.kind in POLITICAL for c in chunks for h in c.hits)
    for chunk in chunks:
        kinds = chunk.kinds()
        targets = [h for h in chunk.hits if h.kind in TARGETS]
        hostile = [h for h in chunk.hits if h.kind in HOSTILE]
        words = lambda hs: tuple(dict.fromkeys(h.text for h in hs))  # noqa: E731
        span = (chunk.start, chunk.end)
        violent = [h for h in chunk.hits if h.kind in ("violence", "violence-emoji")]
        attacks = [h for h in chunk.hits if h.kind == "aggression"]
        cheered = [h for h in chunk.hits if h.kind in CHEERS]
        approving = violent or (attacks + cheered[:1] if attacks and cheered else [])
        if approving:
            signals.append(Signal("threat", targets[0].kind if targets else "", words(approving + targets[:1]), *span))
        if "encounter" in kinds:
            signals.append(Signal("exposure", "client", words([h for h in chunk.hits if h.kind == "encounter"]), *span))
        if "dehumanising" in kinds:
            signals.append(Signal("dehumanising", "group", words([h for h in chunk.hits if h.kind == "dehumanising"]),
                                  *span))
        negative = chunk.compound <= NEGATIVE or bool(hostile)
        mocking = bool({"irony", "rhetorical-question"} & kinds)
        for target in dict.fromkeys(h.kind for h in targets):
            carriers = [h for h in targets if h.kind == target]
            if negative:
                signals.append(Signal("hostile", target, words(carriers + hostile), *span))
            elif mocking and not (chunk.compound >= POSITIVE and "praise" in kinds):
                signals.append(Signal("mockery", target, words(carriers + [h for h in chunk.hits if h.kind in
                                                                           ("irony", "rhetorical-question")]), *span))
            elif chunk.compound >= POSITIVE or "praise" in kinds:
                signals.append(Signal("praise", target, words(carriers + [h for h in chunk.hits if h.kind == "praise"]),
                                      *span))
        for call in (h for h in chunk.hits if h.kind in CALLS):
            political = [h for h in targets if h.kind in POLITICAL]
            if political or (call.kind == "call-to-vote" and political_text):
                target = political[0].kind if political else "election"
                signals.append(Signal("campaign", target, words([call] + political), *span, detail=call.kind))
    return signals
