"""Block Kit building: escaping, Slack's markup undone for the engine, and Slack's limits kept
whatever the answer (pure functions, no server)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from canipost.slack import blocks
from canipost.slack.blocks import Shown, clip, escape, from_slack, units

from .driver import button, buttons, text_of
from .limits import check_blocks, check_view

PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@U0VICTIM>", "<!subteam^S0TEAM>")


def huge_answer(n_provisions: int = 120, size: int = 12_000, text: str = "x") -> dict:
    return {
        "verdict": "do-not-post", "escalate": True, "summary": "S" * size + " <!channel>",
        "profile": "au-aps", "capacity": "personal", "mode": "check", "capacity_matters": True,
        "provisions": [{"id": f"p{n}", "title": "T <!here> " * 200, "source": "Src & co " * 300, "citation": "C" * size,
                        "quote": (text * size)[:size], "topics": ["privacy"], "effect": "do-not-post",
                        "url": "https://example.org/a?b=1&c=<2>|3", "exception": "E" * size}
                       for n in range(n_provisions)],
        "findings": [{"kind": "email", "label": "an email address", "text": "<!channel>" * 500, "start": 0, "end": 5}
                     for _ in range(300)],
        "suggestion": "<!channel> " * 4000,
        "precedents": [{"ref": "CP-00001", "date": "2024-01-01", "question": "q", "answer": "A <@U0VICTIM> " * 3000}] * 5,
        "notes": ["note <!here> " * 500] * 20,
        "period": {"name": "Caretaker period", "until": "2025-05-03", "topics": ["political-neutrality"] * 200},
        "contact": {"name": "Ethics <b>Team</b>", "how": "H" * size}, "notice": "N" * size,
    }


def test_escape_makes_mentions_inert_and_keeps_the_text():
    assert escape("<!channel> & <@U1> > x") == "&lt;!channel&gt; &amp; &lt;@U1&gt; &gt; x"
    assert escape(None) == ""


def test_slack_markup_becomes_plain_text_for_the_engine():
    raw = ("<@U0CANIPOST> can I post <!channel> and <!here|here> to <#C123|general> about "
           "<https://example.gov.au/a?b=1&amp;c=2|the report> &amp; <mailto:sam@agency.gov.au|sam@agency.gov.au>, "
           "<https://x.org> &lt;draft&gt; <!subteam^S1|@advisors> <!date^1700000000^{date}|14 Nov>")
    text = from_slack(blocks.strip_mention(raw, "U0CANIPOST"))
    assert text.startswith("can I post @channel and @here to #general about the report (https://example.gov.au/a?b=1&c=2)")
    assert "& sam@agency.gov.au," in text and "https://x.org <draft> @advisors 14 Nov" in text
    assert "<@" not in text and "<!" not in text


def test_clip_counts_as_slack_does_and_never_cuts_an_escape_or_a_link():
    emoji = "\U0001F600" * 10
    assert units(emoji) == 20
    assert units(clip(emoji, 7)) <= 7
    assert clip("ab&amp;cd", 5) == "ab\u2026"
    assert clip("see <https://example.org|the source> now", 20) == "see\u2026"
    assert clip("short", 10) == "short"


def test_lone_surrogates_and_control_characters_do_not_break_the_payload():
    text = "ok \ud800 bad \x00\x07 bell \u202e\u0301 \U0001F469\u200d\U0001F4BB"
    out = blocks.clean(text)
    out.encode("utf-8")
    assert "\x00" not in out and "\ufffd" in out and "\U0001F469" in out


@pytest.mark.parametrize("expanded", [False, True])
def test_a_huge_answer_fits_slacks_limits(expanded):
    answer = huge_answer()
    rendered = blocks.answer_blocks(answer, "AbCdEfGhIjKl", Shown(expanded=expanded))
    check_blocks(rendered)
    dumped = json.dumps(rendered, ensure_ascii=False)
    assert not any(p in dumped for p in PINGS), "user text is escaped everywhere"
    assert units(blocks.answer_text(answer)) <= 3000
    ids = {b["action_id"] for b in buttons(rendered)}
    assert {"escalate", "feedback:helpful", "feedback:not_helpful", "capacity:official"} <= ids
    assert ("more_provisions" in ids) is (not expanded)
    if expanded:
        assert "not shown here" in text_of(rendered)


def test_the_first_three_provisions_then_a_button_for_the_rest():
    answer = huge_answer(n_provisions=5, size=50)
    rendered = blocks.answer_blocks(answer, "id1")
    more = button(rendered, "more_provisions")
    assert more["value"] == "id1" and "2 more provisions" in more["text"]["text"]
    assert sum(1 for b in rendered if b["type"] == "section" and b["text"]["text"].startswith("*")) >= 3
    expanded = blocks.answer_blocks(answer, "id1", Shown.decode(more["block_id"]).but(expanded=True))
    assert "*5. " in text_of(expanded) and "more_provisions" not in {b["action_id"] for b in buttons(expanded)}


def test_provision_links_are_safe_markup():
    text = text_of(blocks.answer_blocks(huge_answer(n_provisions=1, size=20), "id1"))
    assert "<https://example.org/a?b=1&amp;c=%3C2%3E%7C3|Read the source>" in text


def test_display_state_survives_in_block_ids():
    shown = Shown(expanded=True, feedback="helpful", escalated="CP-00042")
    assert Shown.decode(shown.encode("act", "Zx9_-abc")) == shown
    assert Shown.decode(None) == Shown() and Shown.decode("garbage") == Shown()
    rendered = blocks.answer_blocks(huge_answer(2, 20), "A1", shown)
    ids = {b["action_id"] for b in buttons(rendered)}
    assert "escalate" not in ids and "feedback:helpful" not in ids
    assert "CP-00042" in text_of(rendered) and "Thanks for the feedback" in text_of(rendered)


def test_without_an_answer_id_there_are_no_buttons():
    assert buttons(blocks.answer_blocks(huge_answer(2, 20), None)) == []


def case(**overrides):
    data = dict(ref="CP-00007", status="open", urgency="high", verdict="do-not-post", asker_id="U0ASKER",
                asker_name="sam <!channel>", mode="check", capacity="personal", text="<!channel> " * 5000,
                personal_details="masked", context="ctx <@U0VICTIM> " * 1000, summary="sum & more " * 1000,
                provisions=[{"id": "p", "title": "<!here>"}] * 9, assignee_id=None, assignee_name=None,
                claimed_at=None, resolution=None, resolved_at=None, created_at="2024-05-01T09:30:00.123Z",
                precedent=False)
    data.update(overrides)
    return SimpleNamespace(**data)


@pytest.mark.parametrize("status", ["open", "claimed", "resolved", "reopened"])
def test_escalation_notice_within_limits_and_buttons_follow_the_status(status):
    text, notice = blocks.escalation_notice(case(status=status, assignee_id="U0ADV", assignee_name="Alex",
                                                 claimed_at="2024-05-01T10:00:00.000Z",
                                                 resolved_at="2024-05-02T10:00:00.000Z", resolution="R " * 4000))
    check_blocks(notice)
    assert not any(p in json.dumps(notice) for p in PINGS)
    ids = [b["action_id"] for b in buttons(notice)]
    assert ids == {"open": ["claim", "resolve"], "reopened": ["claim", "resolve"], "claimed": ["resolve"],
                   "resolved": []}[status]
    assert all(b["value"] == "CP-00007" for b in buttons(notice))


def test_modals_and_home_within_limits():
    meta = blocks.metadata(a="A" * 12, r="https://hooks.slack.com/actions/T0/1/" + "x" * 60, s="act|A|x||")
    check_view(blocks.check_modal(meta, "official"))
    check_view(blocks.escalate_modal("<!channel> " * 5000, huge_answer(1, 10), meta))
    check_view(blocks.resolve_modal(case(), blocks.metadata(ref="CP-00007", c="C1", t="1.2")))
    check_view(blocks.loading_modal("Resolve CP-00007"))
    many = [case(ref=f"CP-{n:05d}", status="resolved" if n % 3 else "open", resolution="r " * 2000,
                 assignee_name="Alex") for n in range(300)]
    home = blocks.home_view(many[:10], profile="au-aps", queue=many, mine=many[:20], queue_total=300)
    check_view(home)
    assert "more not shown" in text_of(home["blocks"])
    assert not any(p in json.dumps(home) for p in PINGS)
    with pytest.raises(ValueError):
        blocks.modal("x", [], private_metadata="x" * 3001)


def test_escalate_modal_offers_to_keep_contact_details_only_when_there_are_some():
    meta = blocks.metadata(a="A1")
    with_email = {"verdict": "caution", "findings": [{"kind": "email", "text": "a@b.gov"}]}
    without = {"verdict": "caution", "findings": [{"kind": "security-marking", "text": "PROTECTED"}]}
    ids = lambda view: [b.get("block_id") for b in view["blocks"]]  # noqa: E731
    assert "keep_details" in ids(blocks.escalate_modal("t", with_email, meta))
    assert "keep_details" not in ids(blocks.escalate_modal("t", without, meta))


def test_reading_a_submitted_modal():
    view = {"state": {"values": {
        "draft": {"value": {"type": "plain_text_input", "value": "hello"}},
        "blank": {"value": {"type": "plain_text_input", "value": "   "}},
        "capacity": {"value": {"type": "radio_buttons", "selected_option": {"value": "official"}}},
        "none": {"value": {"type": "radio_buttons", "selected_option": None}},
        "keep": {"value": {"type": "checkboxes", "selected_options": [{"value": "keep"}]}},
    }}}
    assert blocks.submitted(view, "draft") == "hello"
    assert blocks.submitted(view, "blank") is None and blocks.submitted(view, "missing") is None
    assert blocks.submitted(view, "capacity") == "official" and blocks.submitted(view, "none") is None
    assert blocks.submitted(view, "keep") == ["keep"]


def test_resolve_form_with_the_ruling_within_limits_and_prefilled():
    provisions = [(f"Document {d} " * 20, [(f"p.{d}.{n}", "A long provision title " * 10) for n in range(150)])
                  for d in range(120)]
    form = blocks.resolve_modal(case(topics=["privacy", "respect", "tone", "accuracy"], capacity="official"),
                                blocks.metadata(ref="CP-00007"), provisions)
    check_view(form)
    inputs = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert inputs["ruling_verdict"]["initial_option"]["value"] == "do-not-post"
    assert inputs["ruling_capacity"]["initial_option"]["value"] == "official"
    assert [o["value"] for o in inputs["ruling_topics"]["initial_options"]] == ["privacy", "respect", "tone"]
    groups = inputs["ruling_provisions"]["option_groups"]
    assert len(groups) == 100 and all(len(g["options"]) == 100 for g in groups)
    assert all(units(o["text"]["text"]) <= 75 for g in groups for o in g["options"])
    assert not any(p in json.dumps(form) for p in PINGS)
    assert "ruling_provisions" not in json.dumps(blocks.resolve_modal(case(), blocks.metadata(ref="CP-00007")))


def test_a_ruling_above_ok_without_topics_is_sent_back_to_the_form():
    def form(verdict, topics):
        values = {"ruling_verdict": {"value": {"type": "static_select", "selected_option": {"value": verdict}}},
                  "ruling_topics": {"value": {"type": "multi_static_select",
                                              "selected_options": [{"value": t} for t in topics]}}}
        return {"state": {"values": values}}

    assert blocks.ruling_problem(form("caution", [])) == ("ruling_topics", "Name the topic (or topics) this ruling engages.")
    assert blocks.ruling_problem(form("ok", [])) is None and blocks.ruling_problem(form("caution", ["tone"])) is None
    assert blocks.ruling_problem(form("caution", ["a", "b", "c", "d"]))[0] == "ruling_topics"
    assert blocks.ruling_problem({"state": {"values": {}}}) is None, "a form from before rulings has none"
    assert blocks.submitted(form("ok", ["tone", "accuracy"]), "ruling_topics") == ["tone", "accuracy"]


def test_home_shows_the_agreement_within_limits_under_calls_first():
    cases = lambda key, m: [{"ref": f"CP-{key[0]}{m:02d}{i:02d}", "ruled_on": f"2024-{m:02d}-{i % 28 + 1:02d}",  # noqa: E731
                             "capacity": "personal", "canipost": "ok <!here>", "ruling": "caution"} for i in range(100)]
    months = [{"profile": "au-aps", "month": f"2024-{m:02d}", "rulings": 300, "agreed": 100, "under_called": 100,
               "over_called": 100, "cases": {"agreed": cases("agreed", m), "under_called": cases("under", m),
                                             "over_called": cases("over", m)}} for m in range(12, 0, -1)]
    report = {"rulings": 3600, "agreed": 1200, "under_called": 1200, "over_called": 1200, "by_profile_month": months}
    many = [case(ref=f"CP-{n:05d}") for n in range(300)]
    home = blocks.home_view([], profile="au-aps", queue=many, mine=[], queue_total=300, agreement=report)
    check_view(home)
    shown = text_of(home["blocks"])
    assert "canipost against your rulings" in shown and "`au-aps` 2024-12: 300 ruling(s)" in shown
    wrong = shown.split("Where canipost was wrong")[1]
    assert wrong.count("under-called") == blocks.AGREEMENT_CASES and "over-called" not in wrong
    assert wrong.index("CP-u1283") < wrong.index("CP-u1255") < wrong.index("CP-u1227"), "the newest under-calls first"
    assert not any(p in json.dumps(home) for p in PINGS)
    empty = blocks.home_view([], profile="au-aps", queue=[], mine=[], agreement={"rulings": 0})
    assert "No rulings yet" in text_of(empty["blocks"])
