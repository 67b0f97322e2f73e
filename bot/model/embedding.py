"""A static word-piece embedding: what a text is about, as 256 numbers, in plain numpy.

The table is WordLlama's ``l2_supercat`` (a vector for each of 32,000 word pieces, taken from
a large language model and trained to average into sentence meanings). ``canipost kb train``
copies it into ``knowledge/model/embedding.npy`` (a plain array, mapped from disk rather than
read, so loading costs nothing and only the pieces used take memory), with the word-piece
vocabulary and merges in ``embedding-pieces.npz``, once; answering reads those files and needs
neither WordLlama nor a tokenizer library. A text's
vector is the mean of its pieces' vectors, scaled to unit length, so "numpty", "muppet" and
"clown" land near each other even where the corpus never used one of them.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np

from ..errors import KnowledgeError
from .lexicon import plain_letters
from .tokenizer import SubwordTokenizer

EMBEDDING = "embedding.npy"
PIECES = "embedding-pieces.npz"
DIMENSIONS = 256
SOURCE = "wordllama 0.4.0.post1, l2_supercat_256 (MIT; vectors derived from Llama 2)"


class StaticEmbedding:
    """Word pieces and their vectors."""

    def __init__(self, vocab: list[str], merges: np.ndarray, table: np.ndarray):
        self.vocab = vocab
        self.merges = merges
        self.table = table  # pieces x DIMENSIONS, float16
        self.tokenizer = SubwordTokenizer(vocab, [(vocab[a], vocab[b]) for a, b in merges])

    def vector(self, text: str) -> np.ndarray:
        """The unit-length mean vector of ``text``'s pieces (zeros for a text with none); styled
        letters read as plain ones."""
        ids = self.tokenizer.encode(plain_letters(text))
        if not ids:
            return np.zeros(DIMENSIONS, dtype=np.float64)
        # Each distinct piece once, weighted by its count: a long text repeats pieces, and the
        # table has only so many rows, so this is bounded whatever the text.
        pieces, counts = np.unique(np.asarray(ids), return_counts=True)
        mean = counts @ self.table[pieces].astype(np.float64) / len(ids)
        norm = np.linalg.norm(mean)
        return mean / norm if norm > 0 else mean

    def digest(self) -> str:
        digest = hashlib.sha256()
        digest.update("\n".join(self.vocab).encode("utf-8"))
        digest.update(np.ascontiguousarray(self.merges).tobytes())
        digest.update(np.ascontiguousarray(self.table).tobytes())
        return digest.hexdigest()

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        vocab = np.frombuffer("\n".join(self.vocab).encode("utf-8"), dtype=np.uint8)
        np.savez_compressed(buffer, vocab=vocab, merges=self.merges)
        (directory / PIECES).write_bytes(buffer.getvalue())
        np.save(directory / EMBEDDING, np.ascontiguousarray(self.table), allow_pickle=False)

    @classmethod
    def load(cls, directory: Path) -> "StaticEmbedding":
        path = directory / EMBEDDING
        try:
            with np.load(directory / PIECES, allow_pickle=False) as data:
                vocab = data["vocab"].tobytes().decode("utf-8").split("\n")
                merges = data["merges"]
            table = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, KeyError, ValueError, UnicodeDecodeError) as exc:
            raise KnowledgeError(f"unreadable embedding: {exc}: run canipost kb train", str(path)) from None
        if table.shape != (len(vocab), DIMENSIONS) or merges.ndim != 2 or merges.shape[1] != 2:
            raise KnowledgeError("embedding arrays have the wrong shape: run canipost kb train", str(path))
        return cls(vocab, merges, table)

    @classmethod
    def from_wordllama(cls) -> "StaticEmbedding":
        """The table and word pieces of the installed WordLlama package (training only)."""
        try:
            import json

            import wordllama
            from safetensors.numpy import load_file
        except ImportError:
            from ..errors import CanipostError

            raise CanipostError("copying the embedding table needs WordLlama: pip install 'canipost[embedding]'") from None
        package = Path(wordllama.__file__).resolve().parent
        config = json.loads((package / "tokenizers" / "l2_supercat_tokenizer_config.json").read_text("utf-8"))
        pieces = config["model"]["vocab"]
        vocab = [""] * len(pieces)
        for piece, index in pieces.items():
            vocab[index] = piece
        ids = {piece: i for i, piece in enumerate(vocab)}
        merges = np.array([[ids[a], ids[b]] for a, b in (m.split(" ") for m in config["model"]["merges"])],
                          dtype=np.int32)
        table = load_file(str(package / "weights" / "l2_supercat_256.safetensors"))["embedding.weight"]
        return cls(vocab, merges, np.ascontiguousarray(table[:, :DIMENSIONS], dtype=np.float16))
