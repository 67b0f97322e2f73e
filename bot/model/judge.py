"""The trained judgement: how seriously a text engages which topics, for one capacity.

    judge = Judge.load(knowledge_dir)              # None when the knowledge base has no model
    judgement = judge.judge(text, capacity="personal", mode="check", profile=profile)
    judgement.verdict, judgement.confidence, judgement.topics, judgement.evidence

Two linear models over the features of :mod:`.features`: one gives the probability of each
verdict for the capacity, the other the probability of each topic. Answering is a few sparse
dot products in numpy. Because the models are linear, each feature's share of a decision is
exact, so :attr:`Judgement.evidence` names the words and signals that pushed the verdict up.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..contract import CAPACITIES
from .analysers import Analysers, Analysis, Signal
from .embedding import StaticEmbedding
from .features import Features, column, featurise
from .lexicon import Token, load_lexicon
from .weights import Weights, load_weights

EVIDENCE = 4  # at most this many words or signals are named as evidence
KNOWN_WORDS = 2  # the model judges a text only when it knows at least this many of its words
SLIP_LENGTHS = (5, 20)  # a word of this many letters that the model never saw may be a slip of the thumb...
SLIP_ANY = 7  # ...of any kind from this many letters; shorter words have too many neighbours: only swaps
SLIPS_READ = 100  # ...and at most this many such words a text are looked at again (it stays linear)
#: A reading above ``ok`` is trusted only when the model also reads what it is about: some topic at
#: least this likely. A verdict with no likely topic is a hunch, and a hunch gets a referral, not a ruling.
TOPIC_SURE = 0.5


@dataclass(frozen=True)
class Evidence:
    """A word, phrase or signal of the text that pushed the verdict up, and by how much."""

    text: str
    start: int
    end: int
    weight: float
    signal: Signal | None = None


@dataclass
class Judgement:
    """What the model makes of one text."""

    probabilities: dict[str, float]  # verdict -> probability
    verdict: str  # the likeliest verdict
    confidence: float  # its probability
    topics: list[tuple[str, float]]  # topics, most probable first
    evidence: list[Evidence] = field(default_factory=list)
    analysis: Analysis | None = None

    threshold: float = 0.5  # the probability from which the model's reading of this verdict is trusted
    informed: bool = True  # the model knew some of the text's words; if not, it read nothing but its priors

    @property
    def confident(self) -> bool:
        knows_what = self.verdict == "ok" or bool(self.topics and self.topics[0][1] >= TOPIC_SURE)
        return self.informed and self.confidence >= self.threshold and knows_what

    def topic_probability(self, topic: str) -> float:
        return dict(self.topics).get(topic, 0.0)


class Judge:
    """A trained model with the analysers its features need."""

    def __init__(self, weights: Weights, analysers: Analysers, embedding: StaticEmbedding,
                 stopwords: frozenset[str] = frozenset()):
        self.weights = weights
        self.analysers = analysers
        self.embedding = embedding
        self.stopwords = stopwords  # words too common to name as evidence
        arrays = weights.arrays
        self._columns = arrays["columns"]
        self._verdict_coef = arrays["verdict_coef"].astype(np.float64)
        self._verdict_bias = arrays["verdict_bias"].astype(np.float64)
        words = arrays.get("words")  # the words the model was trained on (models before it have none)
        self._known = (frozenset(words.tobytes().decode("utf-8", errors="replace").split("\n"))
                       if words is not None and len(words) else frozenset())
        self._topic_columns = arrays["topic_columns"]
        self._topic_coef = arrays["topic_coef"].astype(np.float64)
        self._topic_bias = arrays["topic_bias"].astype(np.float64)
        dimensions = arrays["topic_vector"].shape[0]
        self._verdict_vector = arrays["verdict_vector"].astype(np.float64).reshape(1 + len(CAPACITIES), dimensions, -1)
        self._topic_vector = arrays["topic_vector"].astype(np.float64)
        manifest = weights.manifest
        self.vector_scale = float(manifest["features"]["embedding_scale"])
        self.verdicts = weights.verdicts
        self.topics = weights.topics
        self.thresholds = {v: float(manifest["thresholds"]["verdicts"][v]) for v in self.verdicts}

    @classmethod
    def load(cls, knowledge_dir: Path, stopwords: frozenset[str] = frozenset()) -> "Judge | None":
        """The model of the knowledge base at ``knowledge_dir``; None when it has none."""
        weights = load_weights(knowledge_dir)
        if weights is None:
            return None
        embedding = StaticEmbedding.load(knowledge_dir / "model")
        if embedding.digest() != weights.manifest["features"]["embedding_digest"]:
            from ..errors import KnowledgeError

            raise KnowledgeError("the model was trained with another embedding: run canipost kb train",
                                 str(knowledge_dir / "model"))
        return cls(weights, Analysers(load_lexicon(knowledge_dir)), embedding, stopwords)

    def describe(self, signal: Signal) -> str:
        """A signal in plain words: "reads as hostile to the government"."""
        return signal.describe(self.analysers.lexicon.labels)

    def vector(self, read: str) -> np.ndarray:
        """The embedding of a text as read (:func:`as_read`), as the models take it."""
        return self.embedding.vector(read) * self.vector_scale

    def judge(self, text: str, *, capacity: str, mode: str, profile: str, jurisdiction: str,
              analysis: Analysis | None = None, vector: np.ndarray | None = None) -> Judgement:
        """The judgement of ``text`` written in ``capacity`` (``analysis`` and ``vector``: the
        analysers' reading of it and its :meth:`vector`, when the caller already has them; neither
        depends on the capacity)."""
        analysis = analysis or self.analyse(text, jurisdiction)
        features = featurise(analysis, capacity, mode, profile)
        if vector is None:
            vector = self.vector(as_read(text, analysis))
        probabilities = self.verdict_probabilities(features, vector, capacity)
        chosen = int(np.argmax(probabilities))
        verdict = self.verdicts[chosen]
        topics = self.topic_probabilities(features, vector)
        judgement = Judgement(dict(zip(self.verdicts, map(float, probabilities))), verdict, float(probabilities[chosen]),
                              topics, analysis=analysis, threshold=self.thresholds[verdict],
                              informed=self._knows_words(features))
        judgement.evidence = self._evidence(features, analysis, chosen)
        return judgement

    def _rows(self, features: Features, columns: np.ndarray, shared: bool = False
              ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """The model rows of the features it knows, their values, and their names (``shared``:
        without the capacity's own copies, as the topic model was trained)."""
        names = [n for n in features.values if not (shared and "|" in n)]
        hashed = np.fromiter((column(n) for n in names), dtype=np.int64, count=len(names))
        positions = np.searchsorted(columns, hashed)
        positions = np.minimum(positions, len(columns) - 1)
        known = columns[positions] == hashed
        values = np.fromiter((features.values[n] for n in names), dtype=np.float64, count=len(names))
        return positions[known], values[known], [n for n, k in zip(names, known) if k]

    def analyse(self, text: str, jurisdiction: str) -> Analysis:
        """The analysers' reading of ``text``, as the model reads it (see :meth:`respell`)."""
        return self.analysers.analyse(text, jurisdiction, self.respell)

    def respell(self, tokens: list[Token]) -> list[Token]:
        """``tokens`` with each word the model never saw, one slip (two letters swapped, a letter
        left out, added or mistyped) from a word it knows, read as that word: "goverment" as
        "government". In a word written with capitals (a name, a brand), but for the first of a
        sentence, only two letters swapped are put right. Spans still point at the words as written."""
        if not self._known:
            return tokens
        tokens = list(tokens)
        looked = 0
        read: dict[tuple[str, bool], str] = {}
        for i, token in enumerate(tokens):
            word = token.folded
            if not (SLIP_LENGTHS[0] <= len(word) <= SLIP_LENGTHS[1] and word.isascii() and word.isalpha()):
                continue
            # A word written with capitals (but for the first of a sentence) may be a name, a place
            # or a brand one letter from a common word: only two letters swapped are put right there.
            named = not token.text.islower() and not (token.text[1:].islower() and _starts_sentence(tokens, i))
            key = (word, named)
            if key not in read:
                if self._knows(word) or looked >= SLIPS_READ:
                    read[key] = word
                else:
                    looked += 1
                    swaps = named or len(word) < SLIP_ANY
                    read[key] = next((w for w in _one_slip(word, only_swaps=swaps) if self._knows(w)), word)
            if read[key] != word:
                tokens[i] = replace(token, folded=read[key])
        return tokens

    def know_words(self, words) -> None:
        """Also put right slips from these words (the rules' own vocabulary: a slip in a word the
        rules read is put right for them too)."""
        if self._known:
            self._known = self._known | {w for w in words if w.isascii() and w.isalpha()}

    def _knows(self, word: str) -> bool:
        return word in self._known

    def _knows_words(self, features: Features) -> bool:
        """Whether the text has at least :data:`KNOWN_WORDS` words the model was trained on (a text of
        emoji or of words it never saw gives it only its priors to go on)."""
        words = Features({n: v for n, v in features.values.items()
                          if n.startswith("w:") and n[2:3].isalpha() and n[2:] not in self.stopwords})
        return len(self._rows(words, self._columns)[0]) >= KNOWN_WORDS

    def verdict_probabilities(self, features: Features, vector: np.ndarray, capacity: str) -> np.ndarray:
        rows, values, _ = self._rows(features, self._columns)
        block = 1 + CAPACITIES.index(capacity)
        logits = (values @ self._verdict_coef[rows] + vector @ self._verdict_vector[0]
                  + vector @ self._verdict_vector[block] + self._verdict_bias)
        logits -= logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()

    def topic_probabilities(self, features: Features, vector: np.ndarray) -> list[tuple[str, float]]:
        rows, values, _ = self._rows(features, self._topic_columns, shared=True)
        logits = values @ self._topic_coef[rows] + vector @ self._topic_vector + self._topic_bias
        probabilities = 1.0 / (1.0 + np.exp(-logits))
        order = np.argsort(-probabilities, kind="stable")
        return [(self.topics[i], float(probabilities[i])) for i in order]

    def _evidence(self, features: Features, analysis: Analysis, chosen: int) -> list[Evidence]:
        """The words and signals that most pushed the chosen verdict above ``ok``."""
        if self.verdicts[chosen] == "ok":
            return []
        rows, values, names = self._rows(features, self._columns)
        ok = self.verdicts.index("ok")
        push = values * (self._verdict_coef[rows, chosen] - self._verdict_coef[rows, ok])
        by_key: dict[str, float] = {}
        for name, weight in zip(names, push):
            key = name.split("|", 1)[-1]
            if key.startswith(("s:", "k:")) or (key.startswith(("w:", "b:")) and self._telling(key[2:])):
                by_key[key] = by_key.get(key, 0.0) + float(weight)
        found: list[Evidence] = []
        for key, weight in sorted(by_key.items(), key=lambda kv: -kv[1]):
            if weight <= 0 or len(found) >= EVIDENCE:
                break
            evidence = _locate(key, weight, analysis)
            if evidence and not any(e.start < evidence.end and evidence.start < e.end for e in found):
                found.append(evidence)
        return sorted(found, key=lambda e: e.start)


    def _telling(self, words: str) -> bool:
        """Whether words are worth naming as evidence: not only common words or punctuation."""
        return any(len(w) > 2 and w not in self.stopwords and w != "#num" for w in words.split()) or any(
            ord(c) >= 0x2190 for c in words)


def as_read(text: str, analysis: Analysis) -> str:
    """``text`` with the slips the model read through put right where that keeps its length (two
    letters swapped, one mistyped), so the rules see "confidential" where "confidnetial" was
    typed and every span still points at the same place."""
    parts: list[str] = []
    last = 0
    for token in analysis.tokens:
        written = text[token.start:token.end]
        if token.folded != written.casefold() and len(token.folded) == len(written) and written.isascii():
            word = token.folded.capitalize() if written[0].isupper() else token.folded
            parts += [text[last:token.start], word]
            last = token.end
    return "".join(parts) + text[last:] if parts else text


def _starts_sentence(tokens: list[Token], i: int) -> bool:
    return i == 0 or tokens[i - 1].text in ".!?"


def _one_slip(word: str, only_swaps: bool = False):
    """The words one slip from ``word``, likeliest slips first."""
    splits = range(len(word) + 1)
    yield from (word[:j] + word[j + 1] + word[j] + word[j + 2:] for j in range(len(word) - 1))
    if only_swaps:
        return
    yield from (word[:j] + c + word[j:] for j in splits for c in _LETTERS)
    yield from (word[:j] + word[j + 1:] for j in range(len(word)))
    yield from (word[:j] + c + word[j + 1:] for j in range(len(word)) for c in _LETTERS if c != word[j])


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _locate(key: str, weight: float, analysis: Analysis) -> Evidence | None:
    """Where in the text a feature came from."""
    kind, _, value = key.partition(":")
    tokens = analysis.tokens
    if kind == "w":
        for t in tokens:
            if t.folded == value or (value == "#num" and t.folded.isdigit()):
                return Evidence(t.text, t.start, t.end, weight)
    elif kind == "b":
        first, _, second = value.partition(" ")
        for a, b in zip(tokens, tokens[1:]):
            if a.folded == first and b.folded == second:
                return Evidence(analysis.text[a.start:b.end], a.start, b.end, weight)
    elif kind == "s":
        name, _, target = value.partition(":")
        for signal in analysis.signals:
            if signal.name == name and (not target or target in (signal.target, signal.detail)):
                return Evidence(", ".join(signal.words), signal.start, signal.end, weight, signal)
    elif kind == "k":
        for hit in analysis.hits:
            if hit.kind == value:
                return Evidence(hit.text, hit.start, hit.end, weight)
    return None



def check_model(kb, examples) -> str:
    """A line on the knowledge base's model (and one on the agency's rulings it was also trained on);
    :class:`KnowledgeErrors` when it is damaged or was trained on another corpus or embedding than
    the knowledge base now holds."""
    from ..errors import KnowledgeError, KnowledgeErrors
    from ..kb.examples import corpus_digest

    try:
        weights = load_weights(kb.root)
        if weights is None:
            return "model: none (answers come from the rules alone; canipost kb train makes one)"
        embedding = StaticEmbedding.load(kb.root / "model")
    except KnowledgeError as exc:
        raise KnowledgeErrors([exc]) from None
    problems = []
    where = str(kb.root / "model")
    if weights.manifest.get("corpus_digest") != corpus_digest(examples):
        problems.append(KnowledgeError("the model was trained on another corpus than examples/ holds: "
                                       "run canipost kb train", where))
    if weights.manifest["features"].get("embedding_digest") != embedding.digest():
        problems.append(KnowledgeError("the model was trained with another embedding: run canipost kb train", where))
    if problems:
        raise KnowledgeErrors(problems)
    line = (f"model: trained on these {weights.manifest['examples']} examples "
            f"(weights digest {weights.manifest['arrays_digest'][:16]})")
    rulings = (weights.manifest.get("rulings") or {}).get("examples", 0)
    if rulings:
        line += f"\nmodel: also trained on {rulings} of the agency's rulings (canipost kb train --with-rulings)"
    return line
