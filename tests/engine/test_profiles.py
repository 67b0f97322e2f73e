"""An organisation's exceptions and dated periods change answers, and say so."""

import datetime as dt

from canipost.engine import Engine
from canipost.kb import load_knowledge

PERIOD = """\
    periods:
      - name: Test election period
        start: 2030-03-01
        end: 2030-05-06
        topics: [identification]
        reason: Elections make every post more sensitive.
"""


def engine_on(mini_kb, day=dt.date(2030, 1, 1)):
    return Engine(load_knowledge(mini_kb.root), default_profile="ex-child", today=lambda: day)


def test_a_provision_switched_off_is_not_cited(mini_kb):
    mini_kb.edit("profiles.yaml", "    sources: []\n", "    sources: []\n    overrides:\n"
                 "      - provision: ex.policy.disclaimer\n        disable: true\n"
                 "        reason: Our agency has its own disclaimer rule.\n")
    question = "do I need a disclaimer saying views are my own"
    child = engine_on(mini_kb).answer(question, mode="ask", profile="ex-child")
    base = engine_on(mini_kb).answer(question, mode="ask", profile="ex-base")
    assert "ex.policy.disclaimer" in [c.provision.id for c in base.provisions]
    assert "ex.policy.disclaimer" not in [c.provision.id for c in child.provisions]


def test_a_changed_effect_changes_the_verdict_and_shows_the_reason(mini_kb):
    mini_kb.edit("profiles.yaml", "    sources: []\n", "    sources: []\n    overrides:\n"
                 "      - provision: ex.policy.protected\n        effect: caution\n"
                 "        reason: Our protected material is published after review.\n")
    engine = engine_on(mini_kb)
    assert engine.answer("sharing protected material", mode="check", profile="ex-base").verdict == "do-not-post"
    answer = engine.answer("sharing protected material", mode="check", profile="ex-child")
    assert answer.verdict == "caution"
    cited = answer.to_dict()["provisions"][0]
    assert cited["exception"] == "Our protected material is published after review."


def test_kb_show_displays_the_exception_and_its_reason(cli, mini_kb):
    mini_kb.edit("profiles.yaml", "    sources: []\n", "    sources: []\n    overrides:\n"
                 "      - provision: ex.policy.protected\n        effect: caution\n"
                 "        reason: Our protected material is published after review.\n")
    result = cli("kb", "show", "ex.policy.protected", "--knowledge", str(mini_kb.root))
    assert result.returncode == 0, result.stderr
    assert "Exception in ex-child: effect changed to caution" in result.stdout
    assert "Our protected material is published after review." in result.stdout
    assert "Section 1" in result.stdout and "Example Social Media Policy (2020)" in result.stdout


def test_inside_a_period_its_topics_are_judged_more_strictly(mini_kb):
    mini_kb.edit("profiles.yaml", "    sources: []\n", "    sources: []\n" + PERIOD)
    question = "do I need a disclaimer saying views are my own"
    before = engine_on(mini_kb, dt.date(2030, 2, 28)).answer(question, mode="ask", capacity="personal")
    during = engine_on(mini_kb, dt.date(2030, 4, 1)).answer(question, mode="ask", capacity="personal")
    assert before.verdict == "caution" and before.period is None
    assert during.verdict == "needs-approval"
    assert during.to_dict()["period"] == {"name": "Test election period", "until": "2030-05-06",
                                          "topics": ["identification"]}
    assert "Test election period runs until 06 May 2030" in during.summary


def test_a_period_can_set_the_verdict_it_raises_to(mini_kb):
    mini_kb.edit("profiles.yaml", "    sources: []\n", "    sources: []\n" + PERIOD + "        raise_to: do-not-post\n")
    during = engine_on(mini_kb, dt.date(2030, 5, 6)).answer("do I need a disclaimer saying views are my own",
                                                            mode="ask", capacity="personal")
    assert during.verdict == "do-not-post"


def test_unknown_profile_on_the_command_line_lists_the_known(cli, mini_kb):
    result = cli("check", "--knowledge", str(mini_kb.root), "--profile", "nope", "hello")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "unknown profile 'nope' (known: ex-base, ex-child)" in result.stderr
