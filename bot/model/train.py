"""Train the judgement on the labelled corpus: ``canipost kb train``.

Needs the training extra (``pip install 'canipost[train]'``: scikit-learn); answering does not.
The same corpus always gives the same arrays, bit for bit: examples are read in id order, the
solvers are deterministic, and the numerical libraries run on one thread.

What it does:

1. features for every example (:func:`.features.featurise`), keeping the columns seen in at
   least :data:`MIN_EXAMPLES` examples;
2. grouped k-fold cross-validation (paraphrases of one situation stay in one fold): each
   example is judged by a model that never saw its situation;
3. from those held-out judgements, the decision thresholds (per-verdict offsets, and the
   confidence at which the model may raise the rules' verdict), chosen by :func:`choose_thresholds`;
4. the final models on the whole corpus, written as plain arrays with a manifest that records
   the corpus digest, the thresholds and the cross-validated figures.
"""

from __future__ import annotations

import itertools
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
TOPIC_C = 1.0
#: What a wrong answer costs when choosing thresholds: a missed breach is worse than a needless flag.
MISS_COST = 2.0
OVERFLAG_COST = 1.0
#: The model may raise the rules' verdict when this share of its raised verdicts held out were right.
RAISE_PRECISION = 0.75
OFFSET_GRID = (-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0)


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


def _matrix(features: list[Features], columns: np.ndarray, text_only: bool = False):
    """A sparse matrix over ``columns`` (sorted hashed column ids); unknown columns are dropped."""
    from scipy import sparse

    rows, cols, values = [], [], []
    for r, f in enumerate(features):
        for name, value in f.values.items():
            if text_only and ("|" in name or name.startswith("x:")):
                continue
            key = column(name)
            position = int(np.searchsorted(columns, key))
            if position < len(columns) and columns[position] == key:
                rows.append(r)
                cols.append(position)
                values.append(value)
    return sparse.csr_matrix((values, (rows, cols)), shape=(len(features), len(columns)), dtype=np.float64)


def _columns(features: list[Features], text_only: bool = False) -> np.ndarray:
    counts: Counter[int] = Counter()
    for f in features:
        names = [n for n in f.values if not (text_only and ("|" in n or n.startswith("x:")))]
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
        topic_columns = _columns(train_features, text_only=True)
        coef, bias = _fit_topics(_with_vectors(_matrix(train_features, topic_columns, True), vecs[train], None),
                                 Y[train])
        topic_scores[test] = _with_vectors(_matrix(test_features, topic_columns, True), vecs[test], None) @ coef + bias
    figures = measure(examples, probabilities, topic_scores, {v: 0.0 for v in VERDICTS})
    return CrossValidation(probabilities, topic_scores, figures)


def decide(probabilities: np.ndarray, offsets: dict[str, float]) -> np.ndarray:
    """The verdict index each row's probabilities pick after the per-verdict offsets."""
    shift = np.array([offsets[v] for v in VERDICTS])
    return np.argmax(np.log(np.maximum(probabilities, 1e-12)) + shift, axis=1)


def measure(examples: list[Example], probabilities: np.ndarray, topic_scores: np.ndarray,
            offsets: dict[str, float]) -> dict[str, float]:
    """Accuracy, breaches missed, benign posts over-flagged and topic recall at 3 of held-out judgements."""
    y, Y = _labels(examples)
    chosen = decide(probabilities, offsets)
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


def choose_thresholds(examples: list[Example], cv: CrossValidation) -> dict:
    """Per-verdict offsets that minimise held-out errors, a missed breach counting MISS_COST and a
    needless flag OVERFLAG_COST; and the confidence above which the model's raised verdicts were
    right at least RAISE_PRECISION of the time."""
    y, _ = _labels(examples)
    breach = y == VERDICTS.index("do-not-post")
    benign = y == VERDICTS.index("ok")
    best, best_cost = None, None
    for c, a, d in itertools.product(OFFSET_GRID, OFFSET_GRID, OFFSET_GRID):
        offsets = {"ok": 0.0, "caution": c, "needs-approval": a, "do-not-post": d}
        chosen = decide(cv.probabilities, offsets)
        errors = float((chosen != y).mean())
        missed = float((chosen[breach] <= 1).mean())
        flagged = float((chosen[benign] >= 2).mean())
        cost = errors + MISS_COST * missed * breach.mean() + OVERFLAG_COST * flagged * benign.mean()
        if best_cost is None or cost < best_cost - 1e-12:
            best, best_cost = offsets, cost
    chosen = decide(cv.probabilities, best)
    raised = chosen > 0
    confidence = np.array([cv.probabilities[i, chosen[i]:].sum() for i in range(len(y))])
    right = y >= chosen
    confident = 1.0
    for threshold in np.arange(0.30, 0.96, 0.05):
        picked = raised & (confidence >= threshold)
        if picked.sum() >= 20 and right[picked].mean() >= RAISE_PRECISION:
            confident = round(float(threshold), 2)
            break
    return {"offsets": best, "confident": confident}


def train(examples: list[Example], analysers: Analysers, embedding: StaticEmbedding,
          jurisdiction_of: Callable[[str], str], folds: int = FOLDS,
          progress: Callable[[str], None] = lambda _: None) -> Weights:
    """Cross-validate, choose thresholds, and fit the final models on every example."""
    _require_sklearn()
    from threadpoolctl import threadpool_limits

    examples = sorted(examples, key=lambda e: e.id)
    with threadpool_limits(limits=1):
        progress(f"features of {len(examples)} examples")
        features = corpus_features(examples, analysers, jurisdiction_of)
        vecs = vectors(examples, embedding)
        progress(f"{folds}-fold cross-validation, grouped by situation")
        cv = cross_validate(examples, features, vecs, folds)
        thresholds = choose_thresholds(examples, cv)
        tuned = measure(examples, cv.probabilities, cv.topic_scores, thresholds["offsets"])
        progress("final models on the whole corpus")
        y, Y = _labels(examples)
        columns = _columns(features)
        capacities = [e.capacity for e in examples]
        verdict_model = _fit_verdicts(_with_vectors(_matrix(features, columns), vecs, capacities), y)
        topic_columns = _columns(features, text_only=True)
        topic_coef, topic_bias = _fit_topics(_with_vectors(_matrix(features, topic_columns, True), vecs, None), Y)
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
    }
    manifest = {
        "verdicts": list(VERDICTS),
        "topics": list(TOPICS),
        "corpus_digest": corpus_digest(examples),
        "examples": len(examples),
        "situations": len({e.situation for e in examples}),
        "thresholds": thresholds,
        "cross_validation": {"folds": folds, "untuned": cv.figures, "tuned": tuned},
        "features": {"columns": int(len(columns)), "topic_columns": int(len(topic_columns)),
                     "min_examples": MIN_EXAMPLES, "embedding_scale": EMBEDDING_SCALE,
                     "embedding_digest": embedding.digest()},
        "trained_with": _versions(),
    }
    return Weights(arrays, manifest)


def _versions() -> dict[str, str]:
    import scipy
    import sklearn

    return {"numpy": np.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__}

