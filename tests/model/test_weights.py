"""The model on disk: plain arrays and a manifest, checked before use, never unpickled."""

import json
import shutil

import numpy as np
import pytest

from canipost.errors import KnowledgeError
from canipost.model.weights import ARRAYS, MANIFEST, MODEL_DIR, Weights, load_weights, save_weights


def small_weights():
    arrays = {name: np.arange(6, dtype=np.float32).reshape(3, 2) for name in
              ("verdict_coef", "verdict_vector", "topic_coef", "topic_vector")}
    arrays.update(columns=np.array([1, 5, 9]), topic_columns=np.array([2, 4, 6]),
                  verdict_bias=np.zeros(2, np.float32), topic_bias=np.zeros(2, np.float32))
    return Weights(arrays, {"verdicts": ["ok", "caution"], "topics": ["privacy", "tone"]})


def test_weights_round_trip_with_their_digest(tmp_path):
    weights = small_weights()
    save_weights(tmp_path, weights)
    loaded = load_weights(tmp_path)
    assert loaded.digest() == weights.digest()
    assert json.loads((tmp_path / MODEL_DIR / MANIFEST).read_text())["arrays_digest"] == weights.digest()


def test_a_knowledge_base_without_a_model_has_none(tmp_path):
    assert load_weights(tmp_path) is None


def test_changed_arrays_are_refused(tmp_path):
    save_weights(tmp_path, small_weights())
    other = small_weights()
    other.arrays["verdict_bias"] = np.ones(2, np.float32)
    np.savez(tmp_path / MODEL_DIR / ARRAYS, **other.arrays)
    with pytest.raises(KnowledgeError, match="do not match their manifest"):
        load_weights(tmp_path)


def test_a_pickled_array_is_never_loaded(tmp_path):
    save_weights(tmp_path, small_weights())
    arrays = dict(small_weights().arrays, columns=np.array([{"a": 1}], dtype=object))
    np.savez(tmp_path / MODEL_DIR / ARRAYS, **arrays)
    with pytest.raises(KnowledgeError, match="unreadable model arrays"):
        load_weights(tmp_path)


def test_the_shipped_model_loads_as_plain_numbers(knowledge_dir, tmp_path):
    copy = tmp_path / "k"
    shutil.copytree(knowledge_dir / MODEL_DIR, copy / MODEL_DIR)
    weights = load_weights(copy)
    assert weights is not None
    assert all(array.dtype.kind in "fiu" for array in weights.arrays.values())
