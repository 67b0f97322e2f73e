"""The engine answers every question and checks every draft to the contract."""

import json

import pytest

from canipost.contract import CAPACITIES, TOPICS, VERDICTS
from canipost.engine import Engine
from canipost.errors import InputError

PROFILES = ["au-aps", "au-treasury", "nz-ps", "uk-cs", "ca-fps"]


def test_answer_has_the_contract_shape(engine):
    answer = engine.answer("Sneak peek: the draft cabinet submission would cut the program by 40%", mode="check",
                           profile="au-aps", capacity="personal")
    data = json.loads(json.dumps(answer.to_dict()))
    assert set(data) >= {"verdict", "escalate", "summary", "profile", "capacity", "provisions", "findings", "contact"}
    assert data["verdict"] in VERDICTS and isinstance(data["escalate"], bool)
    assert data["profile"] == "au-aps" and data["capacity"] == "personal"
    assert set(data["contact"]) == {"name", "how"}
    assert data["provisions"], "a do-not-post answer cites what it rests on"
    for cited in data["provisions"]:
        assert set(cited) >= {"id", "title", "jurisdiction", "source", "citation", "quote", "topics", "score"}
        assert set(cited["topics"]) <= set(TOPICS) and 0 <= cited["score"] <= 1
    for finding in data["findings"]:
        assert set(finding) == {"kind", "text", "start", "end"}
        assert answer.text[finding["start"]:finding["end"]] == finding["text"]


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_answers(engine, profile):
    answer = engine.answer("Can I share my agency's new report on LinkedIn?", mode="ask", profile=profile)
    assert answer.profile.id == profile and answer.contact.name


def test_the_same_question_gets_the_same_answer(engine):
    text = "Can I retweet my local MP's campaign post for the general election from my personal account?"
    first = engine.answer(text, mode="ask", profile="uk-cs", capacity="personal").to_dict()
    for _ in range(3):
        assert engine.answer(text, mode="ask", profile="uk-cs", capacity="personal").to_dict() == first


BENIGN = [
    "Happy 40th birthday to my wonderful sister! 🎂🎉",
    "Great day at the marathon with my running club! New PB 🏃",
    "Photos from our office Christmas party! Thanks to the social club for organising 🎄",
    "Apply liberal amounts of sunscreen today, it's going to be 38 degrees.",
    "A conservative estimate says I've baked 200 loaves this year.",
    "Camping in the national park this weekend with the kids.",
    "Long weekend for Labour Day, off to the beach!",
    "Volunteered at the protected species sanctuary on Saturday. The bilbies were adorable.",
    "Grandma's secret recipe for pavlova finally revealed 🍓",
    "Draft beer and trivia night with old uni friends.",
    "Finally assembled the new cabinet for the kitchen. Only two screws left over.",
    "Our church minister gave a lovely service for Dad's memorial.",
    "Vote for my sourdough in the local bake-off!",
    "Running a charity campaign for the children's hospital: every kilometre counts.",
    "Working from home today in my trackies, my cat is attending the 10am meeting 🐈",
    "Congratulations to my cousin on her wedding, what a beautiful day.",
]


@pytest.mark.parametrize("text", BENIGN)
@pytest.mark.parametrize("profile", PROFILES)
def test_benign_personal_posts_stay_ok(engine, text, profile):
    answer = engine.answer(text, mode="check", profile=profile, capacity="personal")
    assert answer.verdict == "ok", (answer.verdict, [f.to_dict() for f in answer.findings], answer.summary)
    assert not answer.escalate


def test_a_security_marking_is_found_with_its_span_and_removed_from_the_safer_draft(engine):
    text = "Exhausted after late nights on the PROTECTED budget costings, can't wait for the release!"
    answer = engine.answer(text, mode="check", profile="au-treasury", capacity="personal")
    assert answer.verdict == "do-not-post"
    marking = next(f for f in answer.findings if f.kind == "security-marking")
    assert text[marking.start:marking.end] == marking.text and "PROTECTED" in marking.text
    assert "PROTECTED" not in answer.suggestion
    assert any("official-information" in c.provision.topics for c in answer.provisions[:3])


def test_lower_case_protected_is_not_a_marking(engine):
    answer = engine.answer("Spent the day planting trees in a protected wetland.", mode="check", profile="au-aps")
    assert not any(f.kind == "security-marking" for f in answer.findings)


def test_contact_details_are_found_and_masked_in_the_safer_draft(engine):
    text = "Contact John Smith in our Ottawa office at john.smith@example.gc.ca or 613-555-0199 about his benefits appeal."
    answer = engine.answer(text, mode="check", profile="ca-fps", capacity="official")
    kinds = {f.kind for f in answer.findings}
    assert {"email", "phone", "person"} <= kinds
    assert answer.verdict == "do-not-post"
    assert "john.smith@example.gc.ca" not in answer.suggestion and "613-555-0199" not in answer.suggestion
    assert "[email removed]" in answer.suggestion and "[phone number removed]" in answer.suggestion
    assert any("privacy" in c.provision.topics for c in answer.provisions[:3])


def test_published_contact_lines_are_fine_in_an_official_post(engine):
    answer = engine.answer("Questions about your payment? Email enquiries@agency.gov.au or call 1800 555 123.",
                           mode="check", profile="nz-ps", capacity="official")
    assert not {"email", "phone"} & {f.kind for f in answer.findings}


def test_public_figures_named_in_politics_are_not_a_privacy_finding(engine):
    answer = engine.answer("Congratulations to Councillor Sarah Brown on launching her re-election campaign!",
                           mode="check", profile="nz-ps", capacity="official")
    assert "person" not in {f.kind for f in answer.findings}
    assert answer.verdict == "do-not-post"
    assert "political-neutrality" in answer.provisions[0].provision.topics


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \n"])
def test_empty_text_is_refused_clearly(engine, text):
    with pytest.raises(InputError, match="no text to check"):
        engine.answer(text)


def test_text_over_slacks_limit_is_refused_clearly(engine):
    with pytest.raises(InputError, match="40,000"):
        engine.answer("a" * 40_001)
    assert engine.answer("word " * 7_999, mode="check").verdict in VERDICTS  # just under the limit


def test_unknown_profile_and_capacity_list_the_known_ones(engine):
    with pytest.raises(InputError) as caught:
        engine.answer("hello", profile="au-nowhere")
    assert all(p in str(caught.value) for p in PROFILES)
    with pytest.raises(InputError) as caught:
        engine.answer("hello", capacity="secret-agent")
    assert all(c in str(caught.value) for c in CAPACITIES)
    with pytest.raises(InputError, match="unknown mode"):
        engine.answer("hello", mode="guess")


def test_control_characters_and_nul_bytes_are_removed_and_noted(engine):
    answer = engine.answer("Great day\x00 at the beach\x07 with the dog", mode="check")
    assert "\x00" not in answer.text and "\x07" not in answer.text
    assert any("control character" in note for note in answer.notes)
    assert answer.verdict == "ok"


@pytest.mark.parametrize("text", [
    "Kia ora koutou! Ka pai te rā i te tātahi 🌊",
    "周末和家人去公园野餐",
    "عطلة سعيدة للجميع",
    "Ⓗⓔⓛⓛⓞ ｗｏｒｌｄ ‮reversed‬ text",
    "🎉🎉🎉🎉🎉",
])
def test_mixed_scripts_and_emoji_are_answered(engine, text):
    answer = engine.answer(text, mode="check", profile="nz-ps")
    assert answer.verdict == "ok"


def test_a_question_nothing_matches_is_said_to_be_unmatched(engine):
    answer = engine.answer("What's the capital of Peru?", mode="ask", profile="au-aps")
    assert answer.matched is False
    assert answer.escalate is True
    assert "can't answer" in answer.summary and answer.contact.name in answer.summary
    assert answer.verdict == "ok"


def test_every_answer_says_it_is_guidance_not_a_ruling(engine):
    for mode in ("ask", "check"):
        answer = engine.answer("Can I post about my weekend?", mode=mode, profile="uk-cs")
        assert "not a ruling" in answer.notice and answer.contact.name in answer.notice


def test_misspelt_words_still_find_the_provision(engine):
    answer = engine.answer("I post under a pseudonymn on twiter, does the code of conduct aply?", mode="ask",
                           profile="au-aps", capacity="personal")
    assert "anonymity" in {t for c in answer.provisions[:3] for t in c.provision.topics}


def test_something_already_posted_is_escalated(engine):
    answer = engine.answer("I tweeted a figure from the unreleased budget yesterday and it went viral. What now?",
                           mode="ask", profile="uk-cs", capacity="personal")
    assert answer.escalate and answer.verdict == "do-not-post"


def test_guidance_alone_never_forbids(engine, kb):
    for profile in PROFILES:
        for provision in kb.provisions_for(profile):
            if provision.kind == "guidance":
                assert "do-not-post" not in provision.effects.values(), provision.id


def test_capacity_not_given_reports_whether_it_matters(engine):
    official_only = engine.answer("Treasury's updated Budget Paper 1 is now live. Read the fiscal outlook on our website.",
                                  mode="check", profile="au-treasury")
    assert official_only.capacity == "personal" and official_only.capacity_given is False
    assert official_only.capacity_matters is True
    closed = engine.answer("Our office is closed on Monday for the public holiday.", mode="check", profile="au-aps")
    assert closed.capacity_matters is False
    assert "capacity_matters" not in engine.answer("hi there friends", capacity="personal").to_dict()


def test_wording_that_speaks_for_the_agency_is_flagged_when_written_personally(engine):
    answer = engine.answer("On behalf of the department, we are pleased to announce the new grants round.",
                           mode="check", profile="au-aps", capacity="personal")
    assert answer.verdict == "needs-approval"
    assert any("official" in note for note in answer.notes)


def test_a_risk_no_provision_covers_is_caution_and_goes_to_the_contact(kb):
    # The UK sources say nothing of copyright. (The rules' own path: a knowledge base may ship no model.)
    engine = Engine(kb)
    answer = engine.answer("Our open day video is up! Set to a Taylor Swift song we found on YouTube 🎶",
                           mode="check", profile="uk-cs", capacity="official")
    assert answer.verdict == "caution" and answer.escalate
    assert any(f.kind == "copyright" for f in answer.findings)
    assert "do not cover" in answer.summary and kb.profile("uk-cs").contact.name in answer.summary
    assert answer.summary.count(". ") <= 1  # one or two sentences


def test_a_stricter_source_decides_fully_on_the_findings_it_names(engine):
    """The UK guidance says to avoid commenting at all on your own ministers' controversial issues;
    the APS guidance allows private comment with care. The same polite view gets each answer."""
    question = "Can I post my views on the new school funding reforms? I'm against it but I'd be polite."
    uk = engine.answer(question, mode="ask", profile="uk-cs", capacity="personal")
    au = engine.answer(question, mode="ask", profile="au-aps", capacity="personal")
    assert uk.verdict == "do-not-post"
    assert uk.provisions[0].provision.id == "uk.gds-2012.ministers-controversial-issues"
    assert au.verdict == "caution"


def test_professional_comment_always_carries_its_duties(engine):
    answer = engine.answer("Speaking as an actuary: the new longevity tables matter for annuity pricing.",
                           mode="check", profile="au-treasury", capacity="professional")
    assert answer.verdict == "caution"
    assert "professional-comment" in answer.provisions[0].provision.topics
    after = engine.answer("I answered a question on an actuarial forum yesterday. Anything I need to do afterwards?",
                          mode="ask", profile="au-treasury", capacity="official")
    assert "au.treasury.official-approval" not in [c.provision.id for c in after.provisions]


def test_an_official_site_pointing_at_a_personal_account_is_refused_where_a_source_says_so(engine):
    question = "Should the Instagram button on our web page point to our director's personal profile?"
    ca = engine.answer(question, mode="ask", profile="ca-fps", capacity="official")
    assert ca.verdict == "do-not-post"
    assert any(f.kind == "unofficial-account-link" for f in ca.findings)
    assert "ca.comms-policy.icons-official-accounts" in [c.provision.id for c in ca.provisions]
    uk = engine.answer(question, mode="ask", profile="uk-cs", capacity="official")
    assert uk.verdict == "caution"  # the UK sources speak of identification only as a reminder
    official = engine.answer("Should the Instagram button on our web page point to our official account?",
                             mode="ask", profile="ca-fps", capacity="official")
    assert not any(f.kind == "unofficial-account-link" for f in official.findings)


def test_hinting_at_a_clients_identity_is_not_for_a_personal_post_either(engine):
    answer = engine.answer("Guess which famous chef came into my office today asking about his tax debt 😂",
                           mode="check", profile="au-aps", capacity="personal")
    assert answer.verdict == "do-not-post"
    assert "privacy" in answer.provisions[0].provision.topics
    assert any(f.kind == "judgement" for f in answer.findings)
