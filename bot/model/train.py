"""Train the judgement on the labelled corpus: ``canipost kb train``.

Needs the training extra (``pip install 'canipost[train]'``: scikit-learn); answering does not.
The same corpus always gives the same arrays, bit for bit: examples are read in id order, the
solvers are deterministic, and the numerical libraries run on one thread.

What it does:

1. features for every example (:func:`.features.featurise`), keeping the columns seen in at
   least :data:`MIN_EXAMPLES` examples;
2. grouped k-fold cross-validation (paraphrases of one situation stay in one fold): each
   example is judged by a model that never saw its situation, and the figures are recorded;
3. the final models on the whole corpus;
4. the thresholds (for each verdict, the probability from which the model's reading of it is
   trusted), chosen by :func:`choose_thresholds` on held-out cases written apart from the corpus
   (``kb train --calibrate FILE``), else on the cross-validated judgements;
5. plain arrays and a manifest recording the corpus digest, the thresholds and the figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..contract import TOPICS, VERDICTS, severity
from ..kb.examples import Example, corpus_digest
from ..contract import CAPACITIES
from .analysers import Analysers
from .embedding import StaticEmbedding
from .features import Features, column, featurise
from .weights import Weights

MIN_EXAMPLES = 2  # a feature seen in fewer examples teaches nothing general
EMBEDDING_SCALE = 0.5  # the text's unit vector counts this much beside the word features
FOLDS = 5
VERDICT_C = 1.0  # inverse regularisation, chosen on held-out real-world cases
TOPIC_C = 3.0
#: The model's reading of a verdict counts (it may raise the rules' verdict to it) from the probability
#: at which, on held-out cases, at least this share of such readings were right.
RAISE_PRECISION = 0.75
THRESHOLD_GRID = tuple(round(0.30 + 0.05 * i, 2) for i in range(14))  # 0.30 ... 0.95
MIN_PICKED = 5  # fewer readings than this say nothing about a threshold


@dataclass
class CrossValidation:
    """Held-out judgements of every example, and what they add up to."""

    probabilities: np.ndarray  # examples x verdicts
    topic_scores: np.ndarray  # examples x topics
    figures: dict[str, float]


def _require_sklearn():
    try:
        import sklearn  # noqa: F401
        from threadpoolctl import threadpool_limits  # noqa: F401
    except ImportError:
        from ..errors import CanipostError

        raise CanipostError("training needs scikit-learn: pip install 'canipost[train]'") from None


def corpus_features(examples: list[Example], analysers: Analysers, jurisdiction_of: Callable[[str], str]) -> list[Features]:
    return [featurise(analysers.analyse(e.text, jurisdiction_of(e.profile)), e.capacity, e.mode, e.profile)
            for e in examples]


def _matrix(features: list[Features], columns: np.ndarray, shared: bool = False):
    """A sparse matrix over ``columns`` (sorted hashed column ids); unknown columns are dropped.
    ``shared``: leave out the capacity's own copies of the features (the topic model reads what a
    text is about, whoever writes it)."""
    from scipy import sparse

    rows, cols, values = [], [], []
    for r, f in enumerate(features):
        for name, value in f.values.items():
            if shared and "|" in name:
                continue
            key = column(name)
            position = int(np.searchsorted(columns, key))
            if position < len(columns) and columns[position] == key:
                rows.append(r)
                cols.append(position)
                values.append(value)
    return sparse.csr_matrix((values, (rows, cols)), shape=(len(features), len(columns)), dtype=np.float64)


def known_words(features: list[Features]) -> np.ndarray:
    """The words seen in at least :data:`MIN_EXAMPLES` examples, one a line, as bytes (the model
    reads a word it never saw, one slip from one of these, as that word)."""
    counts: Counter[str] = Counter()
    for f in features:
        counts.update(n[2:] for n in f.values if n.startswith("w:") and n[2:].isalpha())
    words = sorted(w for w, n in counts.items() if n >= MIN_EXAMPLES)
    return np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8).copy()


def _columns(features: list[Features], shared: bool = False) -> np.ndarray:
    counts: Counter[int] = Counter()
    for f in features:
        names = [n for n in f.values if not (shared and "|" in n)]
        counts.update({column(n) for n in names})
    return np.array(sorted(c for c, n in counts.items() if n >= MIN_EXAMPLES), dtype=np.int64)


def vectors(examples, embedding: StaticEmbedding) -> np.ndarray:
    """Each text's embedding, scaled as the models read it."""
    return np.array([embedding.vector(e.text) for e in examples]) * EMBEDDING_SCALE


def _with_vectors(X, vectors: np.ndarray, capacities: list[str] | None):
    """The sparse features with the text's vector beside them: once for every capacity, and (when
    ``capacities`` is given) once more in the block of the capacity it is written in."""
    from scipy import sparse

    blocks = [vectors]
    if capacities is not None:
        for capacity in CAPACITIES:
            blocks.append(vectors * np.array([[c == capacity] for c in capacities], dtype=float))
    return sparse.hstack([X, sparse.csr_matrix(np.hstack(blocks))]).tocsr()


def _fit_verdicts(X, y):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=VERDICT_C, max_iter=1000, tol=1e-4).fit(X, y)


def _fit_topics(X, Y):
    """One yes/no model per topic (a topic no example carries stays at a low constant)."""
    from sklearn.linear_model import LogisticRegression

    coefs, biases = [], []
    for j in range(Y.shape[1]):
        if Y[:, j].min() == Y[:, j].max():
            coefs.append(np.zeros(X.shape[1]))
            biases.append(-10.0)
            continue
        model = LogisticRegression(C=TOPIC_C, max_iter=1000, tol=1e-4, class_weight="balanced").fit(X, Y[:, j])
        coefs.append(model.coef_[0])
        biases.append(model.intercept_[0])
    return np.array(coefs).T, np.array(biases)


def _labels(examples: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    y = np.array([VERDICTS.index(e.verdict) for e in examples])
    topics = list(TOPICS)
    Y = np.zeros((len(examples), len(topics)), dtype=int)
    for i, e in enumerate(examples):
        for t in e.topics:
            Y[i, topics.index(t)] = 1
    return y, Y


def cross_validate(examples: list[Example], features: list[Features], vecs: np.ndarray,
                   folds: int = FOLDS) -> CrossValidation:
    """Judge every example with models trained on the other folds (a situation never straddles two)."""
    from sklearn.model_selection import GroupKFold

    y, Y = _labels(examples)
    groups = [e.situation for e in examples]
    capacities = [e.capacity for e in examples]
    probabilities = np.zeros((len(examples), len(VERDICTS)))
    topic_scores = np.zeros((len(examples), len(TOPICS)))
    for train, test in GroupKFold(folds).split(np.zeros(len(examples)), y, groups):
        train_features = [features[i] for i in train]
        test_features = [features[i] for i in test]
        train_caps = [capacities[i] for i in train]
        test_caps = [capacities[i] for i in test]
        columns = _columns(train_features)
        model = _fit_verdicts(_with_vectors(_matrix(train_features, columns), vecs[train], train_caps), y[train])
        probabilities[test] = model.predict_proba(_with_vectors(_matrix(test_features, columns), vecs[test], test_caps))
        topic_columns = _columns(train_features, shared=True)
        coef, bias = _fit_topics(_with_vectors(_matrix(train_features, topic_columns, True), vecs[train], None),
                                 Y[train])
        topic_scores[test] = _with_vectors(_matrix(test_features, topic_columns, True), vecs[test], None) @ coef + bias
    return CrossValidation(probabilities, topic_scores, measure(examples, probabilities, topic_scores))


def measure(examples: list[Example], probabilities: np.ndarray, topic_scores: np.ndarray) -> dict[str, float]:
    """Accuracy, breaches missed, benign posts over-flagged and topic recall at 3 of held-out judgements."""
    y, Y = _labels(examples)
    chosen = probabilities.argmax(axis=1)
    breach = y == VERDICTS.index("do-not-post")
    benign = y == VERDICTS.index("ok")
    top3 = np.argsort(-topic_scores, axis=1, kind="stable")[:, :3]
    wanted = Y.sum()
    found = sum(Y[i, top3[i]].sum() for i in range(len(examples)))
    return {
        "examples": len(examples),
        "accuracy": round(float((chosen == y).mean()), 4),
        "breaches_missed": round(float((chosen[breach] <= VERDICTS.index("caution")).mean()), 4),
        "benign_over_flagged": round(float((chosen[benign] >= VERDICTS.index("needs-approval")).mean()), 4),
        "topic_recall_at_3": round(float(found / max(wanted, 1)), 4),
    }


def choose_thresholds(probabilities: np.ndarray, accepted: list[tuple[str, ...]]) -> dict[str, float]:
    """For each verdict, the least probability at which the model's reading of it was right at least
    RAISE_PRECISION of the time on held-out cases (``accepted``: the verdicts each case accepts).

    Above ``ok`` "right" means the case wanted at least that much; for ``ok``, that it accepted ``ok``.
    A verdict the model never reached reliably gets 1.01: the model alone never gives it, and where
    it would, the answer is ``caution`` with a referral to the contact.
    """
    chosen = probabilities.argmax(axis=1)
    thresholds = {}
    for index, verdict in enumerate(VERDICTS):
        if verdict == "ok":
            right = np.array(["ok" in a for a in accepted])
        else:
            right = np.array([max(severity(v) for v in a) >= index for a in accepted])
        picked_verdict = chosen == index
        threshold = 1.01
        for candidate in THRESHOLD_GRID:
            picked = picked_verdict & (probabilities[:, index] >= candidate)
            if picked.sum() >= MIN_PICKED and right[picked].mean() >= RAISE_PRECISION:
                threshold = round(float(candidate), 2)
                break
        thresholds[verdict] = threshold
    return thresholds


def train(examples: list[Example], analysers: Analysers, embedding: StaticEmbedding,
          jurisdiction_of: Callable[[str], str], folds: int = FOLDS, calibration: list | None = None,
          progress: Callable[[str], None] = lambda _: None, extra: list[Example] = ()) -> Weights:
    """Cross-validate, fit the final models on every example, and choose the thresholds.

    ``calibration``: held-out labelled cases (:class:`~canipost.evaluation.Case`) written apart from
    the corpus, on which the thresholds are chosen; without them, the cross-validated judgements
    of the corpus are used. ``extra``: examples kept apart from the corpus (the agency's rulings),
    trained on beside it; the manifest records them apart, so the corpus digest stays the corpus's.
    """
    _require_sklearn()
    from threadpoolctl import threadpool_limits

    corpus = examples
    examples = sorted([*examples, *extra], key=lambda e: e.id)
    with threadpool_limits(limits=1):
        progress(f"features of {len(examples)} examples")
        features = corpus_features(examples, analysers, jurisdiction_of)
        vecs = vectors(examples, embedding)
        progress(f"{folds}-fold cross-validation, grouped by situation")
        cv = cross_validate(examples, features, vecs, folds)
        progress("final models on the whole corpus")
        y, Y = _labels(examples)
        columns = _columns(features)
        capacities = [e.capacity for e in examples]
        verdict_model = _fit_verdicts(_with_vectors(_matrix(features, columns), vecs, capacities), y)
        topic_columns = _columns(features, shared=True)
        topic_coef, topic_bias = _fit_topics(_with_vectors(_matrix(features, topic_columns, True), vecs, None), Y)
        if calibration:
            progress(f"thresholds chosen on {len(calibration)} held-out cases")
            cases_features = [featurise(analysers.analyse(c.text, jurisdiction_of(c.profile)), c.capacity, c.mode,
                                        c.profile) for c in calibration]
            X = _with_vectors(_matrix(cases_features, columns), vectors(calibration, embedding),
                              [c.capacity for c in calibration])
            thresholds = choose_thresholds(verdict_model.predict_proba(X), [c.verdicts for c in calibration])
        else:
            y_sets = [(e.verdict,) for e in examples]
            thresholds = choose_thresholds(cv.probabilities, y_sets)
    verdict_coef = verdict_model.coef_.T
    arrays = {
        "columns": columns,
        "verdict_coef": verdict_coef[:len(columns)].astype(np.float32),
        "verdict_vector": verdict_coef[len(columns):].astype(np.float32),  # (1 + capacities) x dimensions rows
        "verdict_bias": verdict_model.intercept_.astype(np.float32),
        "topic_columns": topic_columns,
        "topic_coef": topic_coef[:len(topic_columns)].astype(np.float32),
        "topic_vector": topic_coef[len(topic_columns):].astype(np.float32),
        "topic_bias": topic_bias.astype(np.float32),
        "words": known_words(features),
    }
    manifest = {
        "verdicts": list(VERDICTS),
        "topics": list(TOPICS),
        "corpus_digest": corpus_digest(corpus),
        "examples": len(corpus),
        "situations": len({e.situation for e in examples}),
        "thresholds": {"verdicts": thresholds,
                       "chosen_on": f"{len(calibration)} held-out cases" if calibration else "cross-validation",
                       "calibration_digest": _cases_digest(calibration) if calibration else None},
        "cross_validation": {"folds": folds, **cv.figures},
        "features": {"columns": int(len(columns)), "topic_columns": int(len(topic_columns)),
                     "min_examples": MIN_EXAMPLES, "embedding_scale": EMBEDDING_SCALE,
                     "embedding_digest": embedding.digest()},
        "trained_with": _versions(),
    }
    if extra:
        manifest["rulings"] = {"examples": len(extra), "digest": corpus_digest(extra)}
    return Weights(arrays, manifest)


def _cases_digest(cases) -> str:
    import hashlib

    digest = hashlib.sha256()
    for c in cases:
        digest.update(f"{c.id}\x1f{c.text}\x1f{c.profile}\x1f{c.capacity}\x1f{c.mode}\x1f{','.join(c.verdicts)}\x1e".encode())
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    import scipy
    import sklearn

    return {"numpy": np.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__}

