"""The shipped judgement: verdicts, topics and the words that engaged them."""

import pytest

from canipost.contract import VERDICTS
from canipost.model.judge import Judge


@pytest.fixture(scope="module")
def judge(kb):
    found = Judge.load(kb.root, kb.vocabulary.stopwords)
    assert found is not None, "the bundled knowledge base ships a model"
    return found


def read(judge, text, capacity="personal", mode="check", profile="au-aps", jurisdiction="AU"):
    return judge.judge(text, capacity=capacity, mode=mode, profile=profile, jurisdiction=jurisdiction)


def test_probabilities_cover_every_verdict_and_sum_to_one(judge):
    judgement = read(judge, "Great day at the beach with the kids")
    assert set(judgement.probabilities) == set(VERDICTS)
    assert abs(sum(judgement.probabilities.values()) - 1) < 1e-9
    assert judgement.verdict == max(judgement.probabilities, key=judgement.probabilities.get)


def test_contempt_for_the_government_one_serves_is_read_as_a_breach(judge):
    judgement = read(judge, "honestly this mob in charge are a bunch of clowns 🤡 can't wait to vote them out")
    assert judgement.verdict == "do-not-post"
    assert {"criticism-of-government", "political-neutrality"} & {t for t, _ in judgement.topics[:2]}


def test_evidence_names_words_of_the_text_in_place(judge):
    text = "honestly this mob in charge are a bunch of clowns 🤡 can't wait to vote them out"
    judgement = read(judge, text)
    assert judgement.evidence
    for evidence in judgement.evidence:
        assert text[evidence.start:evidence.end]  # a real span of the text
        assert evidence.weight > 0


def test_the_capacity_changes_the_reading(judge):
    text = "Congratulations to our local MP on her re-election, well deserved!"
    official = read(judge, text, capacity="official")
    personal = read(judge, text, capacity="personal")
    assert official.probabilities["do-not-post"] > personal.probabilities["do-not-post"]


def test_an_everyday_post_is_read_as_fine(judge):
    assert read(judge, "Finally finished the veggie patch this arvo 🌱 tomatoes in!").verdict == "ok"


def test_a_word_one_slip_from_a_known_word_is_read_as_that_word(judge):
    analysis = judge.analyse("Hoenstly the goverment leaked the confidnetial report", "NZ")
    assert [t.folded for t in analysis.tokens] == ["honestly", "the", "government", "leaked", "the", "confidential",
                                                   "report"]
    assert analysis.text[analysis.tokens[2].start:analysis.tokens[2].end] == "goverment"  # spans stay as written
    assert "government" in analysis.kinds()  # the analysers read the respelt words too


def test_names_are_never_taken_for_slips(judge):
    analysis = judge.analyse("drives a lime green Hummer to the Centrelink office", "AU")
    assert "hummer" in [t.folded for t in analysis.tokens]


def test_known_words_and_words_of_no_known_shape_are_left_alone(judge):
    text = "Kia ora whānau, xqzvbnmwrt at the barbecue"
    assert judge.analyse(text, "NZ").tokens == judge.analysers.analyse(text, "NZ").tokens
