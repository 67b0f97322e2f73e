"""The analysers: terms, tone and the signals that combine them."""

import time

import pytest

from canipost.model.analysers import CHUNK_WORDS, Analysers
from canipost.model.lexicon import load_lexicon


@pytest.fixture(scope="module")
def analysers(knowledge_dir):
    return Analysers(load_lexicon(knowledge_dir))


def signals(analysers, text, jurisdiction):
    return {(s.name, s.target) for s in analysers.analyse(text, jurisdiction).signals}


def test_contempt_for_a_leader_reads_as_hostile(analysers):
    assert ("hostile", "leader") in signals(analysers, "Albo is a clown 🤡", "AU")
    assert ("hostile", "government") in signals(analysers, "Le gouvernement est une gang de caves", "CA")


def test_a_call_to_vote_beside_a_party_reads_as_campaigning(analysers):
    found = {s for s in analysers.analyse("Get out and vote on Saturday and put the Libs last", "AU").signals}
    assert any(s.name == "campaign" and s.target == "party" and s.detail == "call-to-vote" for s in found)


def test_praise_and_approval_of_violence_are_told_apart(analysers):
    assert ("praise", "politician") in signals(analysers, "Huge credit to the Minister, brilliant work", "NZ")
    assert any(name == "threat" for name, _ in signals(analysers, "someone should string them up", "UK"))


def test_an_attack_told_with_a_cheer_reads_as_approving_violence(analysers):
    assert ("threat", "politician") in signals(analysers, "the senator got egged and honestly good on them 😂", "AU")
    assert ("threat", "leader") in signals(analysers, "Quelqu'un a lancé une tarte à la crème au premier ministre, bien fait", "CA")
    # told without approval it is news, not a threat
    assert not any(name == "threat" for name, _ in signals(analysers, "The MP was egged at the fair today, police are investigating", "UK"))


def test_a_story_from_a_meeting_at_work_reads_as_exposing_someone(analysers):
    found = analysers.analyse("Had a bloke at the front desk this morning convinced the dog ate his payslip", "NZ").signals
    exposure = next(s for s in found if s.name == "exposure")
    assert exposure.target == "client" and "at the front desk" in exposure.words
    assert not any(s.name == "exposure" for s in analysers.analyse("Front desk of the hotel upgraded us, legends", "NZ").signals)


def test_everyday_words_raise_no_signal(analysers):
    assert signals(analysers, "Ten hours of labour and a healthy baby girl, so happy", "UK") == set()


def test_sentences_without_punctuation_are_cut_into_short_chunks(analysers):
    analysis = analysers.analyse("word " * 1000, "AU")
    assert analysis.chunks and max(c.last - c.first + 1 for c in analysis.chunks) <= CHUNK_WORDS


def test_analysing_is_linear_in_the_text(analysers):
    def cost(n):
        text = ("the minister is useless lol vote them out " * n)[: 45 * n]
        start = time.process_time()
        analysers.analyse(text, "UK")
        return time.process_time() - start

    small, large = cost(200), cost(800)
    assert large < 12 * max(small, 1e-3), (small, large)
