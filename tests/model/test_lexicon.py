"""The word lists: who a post is about, what it calls for, how it says it."""

import time

import pytest

from canipost.errors import KnowledgeErrors
from canipost.model.lexicon import load_lexicon, tokenize


@pytest.fixture(scope="module")
def lexicon(knowledge_dir):
    return load_lexicon(knowledge_dir)


def kinds(lexicon, text, jurisdiction="AU"):
    return {(h.kind, h.text) for h in lexicon.find(text, tokenize(text), jurisdiction)}


def test_terms_match_whole_words_whatever_the_case_and_accents(lexicon):
    assert ("leader", "ALBO") in kinds(lexicon, "ALBO again!!")
    assert ("agency", "Kāinga Ora") in kinds(lexicon, "Kāinga Ora called", "NZ")
    assert ("agency", "kainga ora") in kinds(lexicon, "kainga ora called", "NZ")
    assert not any(k == "leader" for k, _ in kinds(lexicon, "albopictus mosquitoes"))


def test_a_capitalised_term_counts_only_when_written_so(lexicon):
    assert ("party", "Labour") in kinds(lexicon, "Labour are out of ideas", "UK")
    assert not any(k == "party" for k, _ in kinds(lexicon, "ten hours of labour and a healthy baby", "UK"))
    assert ("party", "ACT") in kinds(lexicon, "ACT want to scrap it", "NZ")
    assert not any(k == "party" for k, _ in kinds(lexicon, "an Act of Parliament", "NZ"))


def test_terms_belong_to_their_jurisdiction(lexicon):
    assert ("leader", "Luxon") in kinds(lexicon, "Luxon said", "NZ")
    assert not any(text == "Luxon" for _, text in kinds(lexicon, "Luxon said", "CA"))


def test_possessives_hashtags_and_emoji_are_read(lexicon):
    assert ("leader", "Luxon's") in kinds(lexicon, "Luxon's lot", "NZ")
    found = kinds(lexicon, "#VoteThemOut 🤡", "UK")
    assert ("call-to-vote", "VoteThemOut") in found
    assert ("contempt-emoji", "🤡") in found
    assert [t.folded for t in tokenize("🤦🏽‍♀️")] == ["🤦"]  # skin tone and gender modifiers fold away


def test_styled_letters_read_as_the_words_they_spell(lexicon):
    text = "𝐋𝐮𝐱𝐨𝐧 is a ⓒⓛⓞⓦⓝ ｆｕｌｌ ｓｔｏｐ"
    tokens = tokenize(text)
    assert [t.folded for t in tokens] == ["luxon", "is", "a", "clown", "full", "stop"]
    assert text[tokens[0].start:tokens[0].end] == "𝐋𝐮𝐱𝐨𝐧"  # spans still point into the text as written
    assert ("leader", "𝐋𝐮𝐱𝐨𝐧") in kinds(lexicon, text, "NZ")


def test_a_broken_lexicon_is_reported_by_file_line_and_field(tmp_path):
    (tmp_path / "lexicons").mkdir()
    (tmp_path / "lexicons" / "bad.yaml").write_text(
        "lexicon:\n  - kind: party\n    label: a party\n    terms:\n      XX: [reds]\n      AU: [blues, Blues]\n")
    with pytest.raises(KnowledgeErrors) as caught:
        load_lexicon(tmp_path)
    messages = [str(e) for e in caught.value.errors]
    assert any(m.startswith("lexicons/bad.yaml:5: party.terms.XX: unknown jurisdiction") or
               ":5: party.terms.XX: unknown jurisdiction" in m for m in messages), messages
    assert any(":6: party.terms.AU[1]: term 'Blues' listed twice" in m for m in messages), messages


def test_finding_terms_is_linear_in_the_text(lexicon):
    def cost(n):
        text = ("the minister said vote labour 🤡 " * n)[: 40 * n]
        tokens = tokenize(text)
        start = time.process_time()
        for _ in range(3):
            lexicon.find(text, tokens, "UK")
        return time.process_time() - start

    small, large = cost(250), cost(1000)
    assert large < 12 * max(small, 1e-3), (small, large)  # four times the text: about four times the work
