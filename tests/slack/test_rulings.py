"""The advisors teach canipost, through Slack: a case is escalated, an advisor resolves it with a ruling
that disagrees with canipost (the form prefilled with canipost's answer), sees it in the agreement figures
on the Home tab and in the statistics, retrains with the rulings, and a paraphrase of the case then gets
the ruled verdict. Signed requests in, Web API calls to the stand-in, a real database."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from tests.teachable import CASE, PARAPHRASE, UNRELATED

from .conftest import ADVISOR, ADVISORS_CHANNEL, SECRET
from .driver import Slack, text_of, uid
from .limits import check_blocks, check_view
from .test_escalations import ask_in_dm, escalate, open_modal


@pytest.fixture
def teaching(taught_kb, start_app, standin):
    running = start_app({"CANIPOST_KNOWLEDGE": str(taught_kb.root), "CANIPOST_PROFILE": "ex-base"})
    return running, Slack(running.url, SECRET, standin), taught_kb


def canipost(running, *args):
    return subprocess.run([sys.executable, "-m", "canipost", *args], env=running.env, cwd=running.root,
                          capture_output=True, text=True, timeout=300)


def element(view, block_id):
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]


def test_the_whole_loop_through_slack(teaching, standin):
    running, slack, kb = teaching
    asker = uid("U")
    case, notice, *_ = escalate(slack, standin, running, asker, CASE)
    ref = case["ref"]
    assert case["verdict"] == "caution"
    where = dict(channel=ADVISORS_CHANNEL, message_ts=notice.response["ts"])

    # The form is prefilled with canipost's answer: agreeing would be one click.
    form, _ = open_modal(slack, standin, ADVISOR, "resolve", ref, **where)
    check_view(form)
    assert element(form, "ruling_verdict")["initial_option"]["value"] == "caution"
    assert element(form, "ruling_capacity")["initial_option"]["value"] == "personal"
    assert [o["value"] for o in element(form, "ruling_topics").get("initial_options", [])] == json.loads(case["topics"])[:3]
    provisions = [o["value"] for g in element(form, "ruling_provisions")["option_groups"] for o in g["options"]]
    assert provisions == ["ex.policy.protected", "ex.policy.disclaimer"]
    assert element(form, "learn")["initial_option"]["value"] == "precedent"

    # A ruling above "ok" must name its topics: the form says so, and nothing is saved.
    refused = slack.submit(ADVISOR, form, {"answer": "No.", "ruling_verdict": ("select", "do-not-post"),
                                           "ruling_topics": ("multi", []), "learn": ("radio", "precedent")})
    assert refused.json() == {"response_action": "errors",
                              "errors": {"ruling_topics": "Name the topic (or topics) this ruling engages."}}
    assert running.rows("SELECT status FROM escalations WHERE ref = ?", (ref,))[0]["status"] == "open"

    # Disagreeing is one change (and here, the topic and the provision that decide it).
    mark = standin.mark()
    reply = slack.submit(ADVISOR, form, {
        "answer": "Don't: the slides are not public until the minister releases them.",
        "ruling_verdict": ("select", "do-not-post"), "ruling_capacity": ("select", "personal"),
        "ruling_topics": ("multi", ["official-information"]), "ruling_provisions": ("multi", ["ex.policy.protected"]),
        "precedent": ("checkboxes", ["yes"]), "learn": ("radio", "precedent")})
    assert reply.json()["response_action"] == "update"
    told = standin.wait_for(lambda c: c.method == "chat.postMessage" and c.body.get("channel") == asker, mark=mark)[0]
    assert "The advisor's ruling:" in text_of(told.blocks) and "DO NOT POST" in text_of(told.blocks)
    resolved = standin.wait_for(lambda c: c.method == "chat.update" and c.body.get("ts") == notice.response["ts"],
                                mark=mark)[0]
    check_blocks(resolved.blocks)
    assert "canipost said caution: *under-called*" in text_of(resolved.blocks)
    [ruling] = running.rows("SELECT r.* FROM rulings r JOIN escalations e ON e.id = r.escalation_id WHERE e.ref = ?",
                            (ref,))
    assert (ruling["verdict"], ruling["agreement"], ruling["learn"]) == ("do-not-post", "under-called", 1)
    assert json.loads(ruling["provisions"]) == ["ex.policy.protected"]
    assert "[email removed]" in ruling["example_text"] and "sam.lee@" not in ruling["example_text"]
    actions = [r["action"] for r in running.rows("SELECT action FROM audit WHERE ref = ? ORDER BY id", (ref,))]
    assert actions == ["created", "resolved", "ruled", "consent-given"]

    # The advisors' Home tab and the statistics show it.
    mark = standin.mark()
    slack.home_opened(ADVISOR)
    home = standin.wait_for(lambda c: c.method == "views.publish" and c.body.get("user_id") == ADVISOR, mark=mark)[0]
    check_view(home.view)
    shown = text_of(home.view["blocks"])
    assert "canipost against your rulings" in shown and "1 under-called" in shown
    assert f"*{ref}*" in shown and "under-called, canipost said caution, ruled do-not-post" in shown
    stats = json.loads(canipost(running, "escalations", "stats", "--json").stdout)
    assert stats["agreement"]["under_called"] == 1
    assert stats["agreement"]["by_profile_month"][0]["cases"]["under_called"][0]["ref"] == ref

    # Retrained with the rulings, and the knowledge base reloaded.
    trained = canipost(running, "kb", "train", "--with-rulings", "--knowledge", str(kb.root))
    assert trained.returncode == 0, trained.stderr
    assert "1 of the agency's rulings" in trained.stdout
    assert running.rows("SELECT detail FROM audit WHERE action = 'retrained'")[0]["detail"].count(ref) == 1
    running.signal(signal.SIGHUP)
    running.wait_log("knowledge_reloaded")

    # A paraphrase of the case now gets the ruling; an unrelated text does not.
    _, later = ask_in_dm(slack, standin, uid("U"), PARAPHRASE)
    check_blocks(later.blocks)
    assert "DO NOT POST" in text_of(later.blocks)
    assert f"An ethics advisor ruled on a similar question on {ruling['created_at'][:10]}* ({ref})" in text_of(later.blocks)
    assert "No protected material" in text_of(later.blocks)
    _, unrelated = ask_in_dm(slack, standin, uid("U"), UNRELATED)
    assert "ruled on a similar" not in text_of(unrelated.blocks)


def test_a_forged_ruling_form_is_refused_before_anything_reads_it(slack):
    for chosen in ({"selected_options": ["do-not-post"]}, {"selected_option": "do-not-post"},
                   {"selected_options": [{"value": 3}]}):
        payload = {"type": "view_submission", "user": {"id": ADVISOR}, "view": {
            "id": "V0FORGED", "callback_id": "resolve_submit", "type": "modal", "private_metadata": "",
            "state": {"values": {"ruling_topics": {"value": {"type": "multi_static_select", **chosen}}}}}}
        assert slack.interaction(payload).status == 400
