"""The trained model on disk: plain arrays and a manifest, never a pickle.

``knowledge/model/judgement.npz`` holds the arrays (read with ``allow_pickle=False``, so a
weights file can only ever be numbers); ``knowledge/model/judgement.json`` says what they are:
the classes, the thresholds, the corpus they were trained on (its digest), and the figures
measured when they were made. A model whose manifest names another corpus is refused by
``canipost kb validate``.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import KnowledgeError

MODEL_DIR = "model"
ARRAYS = "judgement.npz"
MANIFEST = "judgement.json"
FORMAT = 1
REQUIRED_ARRAYS = ("columns", "verdict_coef", "verdict_vector", "verdict_bias", "topic_columns", "topic_coef",
                   "topic_vector", "topic_bias")


@dataclass
class Weights:
    """The arrays of a trained model and what the manifest says of them."""

    arrays: dict[str, np.ndarray]
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def verdicts(self) -> list[str]:
        return list(self.manifest["verdicts"])

    @property
    def topics(self) -> list[str]:
        return list(self.manifest["topics"])

    def digest(self) -> str:
        """A fingerprint of the arrays, to show two trainings gave the same model."""
        digest = hashlib.sha256()
        for name in sorted(self.arrays):
            array = np.ascontiguousarray(self.arrays[name])
            digest.update(name.encode())
            digest.update(str(array.dtype).encode() + str(array.shape).encode())
            digest.update(array.tobytes())
        return digest.hexdigest()


def save_weights(directory: Path, weights: Weights) -> None:
    """Write the arrays and the manifest (the arrays' digest included) to ``directory/model``."""
    target = directory / MODEL_DIR
    target.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **weights.arrays)
    (target / ARRAYS).write_bytes(buffer.getvalue())
    manifest = dict(weights.manifest, format=FORMAT, arrays_digest=weights.digest())
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_weights(directory: Path) -> Weights | None:
    """The model under ``directory/model``, or None when there is none; a damaged or unreadable
    one is a :class:`KnowledgeError` naming the file."""
    target = directory / MODEL_DIR
    arrays_path, manifest_path = target / ARRAYS, target / MANIFEST
    if not arrays_path.exists() and not manifest_path.exists():
        return None
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KnowledgeError(f"unreadable model manifest: {exc}", str(manifest_path)) from None
    if manifest.get("format") != FORMAT:
        raise KnowledgeError(f"model format {manifest.get('format')!r} is not {FORMAT}: run canipost kb train",
                             str(manifest_path))
    try:
        with np.load(arrays_path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError) as exc:
        raise KnowledgeError(f"unreadable model arrays: {exc}", str(arrays_path)) from None
    missing = [name for name in REQUIRED_ARRAYS if name not in arrays]
    if missing:
        raise KnowledgeError(f"model arrays lack {', '.join(missing)}: run canipost kb train", str(arrays_path))
    weights = Weights(arrays, manifest)
    if weights.digest() != manifest.get("arrays_digest"):
        raise KnowledgeError("model arrays do not match their manifest: run canipost kb train", str(arrays_path))
    return weights
