"""Word pieces in plain Python, exactly as the embedding's own tokenizer makes them."""

import time
from pathlib import Path

import pytest

from canipost.model.embedding import StaticEmbedding

SAMPLES = [
    "Vote 1 Greens!", "lol imagine thinking Luxon's lot have a clue about housing 🙄 #nzpol",
    "Le gouvernement est pourri, tabarnak! Câlisse.", "kia ora whānau, hōhā pōrangi",
    "   several   spaces\n\nnewlines\ttabs", "🤦🏽‍♀️🔥🔥🔥 https://example.com/a?b=c", "Ünïcödé ßtraße 東京 مرحبا", "a",
]


@pytest.fixture(scope="module")
def embedding(knowledge_dir):
    return StaticEmbedding.load(Path(knowledge_dir) / "model")


def test_pieces_are_the_reference_tokenizers_where_it_is_installed(embedding):
    wordllama = pytest.importorskip("wordllama")
    tokenizers = pytest.importorskip("tokenizers")
    config = Path(wordllama.__file__).parent / "tokenizers" / "l2_supercat_tokenizer_config.json"
    reference = tokenizers.Tokenizer.from_file(str(config))
    for text in SAMPLES:
        assert embedding.tokenizer.encode(text) == reference.encode(text, add_special_tokens=False).ids, text


def test_an_empty_text_has_no_pieces_and_a_zero_vector(embedding):
    assert embedding.tokenizer.encode("") == []
    assert not embedding.vector("").any()


def test_a_vector_is_unit_length_and_near_for_near_meanings(embedding):
    clown, muppet, budget = (embedding.vector(t) for t in ("what a clown", "what a muppet", "budget forecast tables"))
    assert abs(float(clown @ clown) - 1) < 1e-6
    assert float(clown @ muppet) > float(clown @ budget)


def test_encoding_is_linear_in_the_text_whatever_its_shape(embedding):
    def cost(text):
        start = time.process_time()
        embedding.tokenizer._cache.clear()
        embedding.tokenizer.encode(text)
        return time.process_time() - start

    for unit in ("abcdefghij", "_", "word ", "東京"):
        small, large = cost(unit * (4000 // len(unit))), cost(unit * (16000 // len(unit)))
        assert large < 12 * max(small, 1e-3), (unit, small, large)
