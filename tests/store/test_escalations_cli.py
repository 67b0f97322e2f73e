"""``canipost escalations`` and ``canipost feedback`` end to end, as an advisor runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from canipost.store import Store

from .store_helpers import ASKER, finding, make_answer


@pytest.fixture
def env(tmp_path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CANIPOST_", "SLACK_"))}
    environ.update({"CANIPOST_DB": str(tmp_path / "cli" / "canipost.db"), "CANIPOST_PROFILE": "au-aps",
                    "USER": "advisor-login", "LOGNAME": "advisor-login"})
    return environ


def canipost(env, *args, stdin=None):
    # Run from the test's own directory, so no .env file of the project's is read; through the
    # interpreter running the tests, never whatever `canipost` happens to be on PATH.
    return subprocess.run([sys.executable, "-m", "canipost", *args], env=env, capture_output=True, text=True, input=stdin,
                          cwd=Path(env["CANIPOST_DB"]).parent.parent, timeout=120)


@pytest.fixture
def seeded(env):
    """Two cases, as the Slack app would have opened them."""
    text = "Can I post that jo@example.com complained about us?"
    with Store(env["CANIPOST_DB"]) as store:
        store.escalations.create(asker=ASKER, text=text, answer=make_answer(findings=[finding(text, "email", "jo@example.com")]),
                                 channel="D123", urgency="high")
        store.escalations.create(asker=ASKER, text="Can I like the minister's post?", answer=make_answer("ok"))
    return env


def test_the_workflow_on_the_command_line(seeded):
    env = seeded
    listed = canipost(env, "escalations", "list", "--status", "open")
    assert listed.returncode == 0, listed.stderr
    assert "CP-00001" in listed.stdout and "CP-00002" in listed.stdout and "[email removed]" in listed.stdout
    assert "2 of 2 case(s) (open)" in listed.stdout

    claimed = canipost(env, "escalations", "claim", "CP-00001", "--by", "Alex")
    assert claimed.returncode == 0 and claimed.stdout.splitlines()[0] == "CP-00001 claimed by Alex"
    assert canipost(env, "escalations", "comment", "cp-1", "--by", "Alex", "--text", "Rang Sam.").returncode == 0
    resolved = canipost(env, "escalations", "resolve", "1", "--by", "Alex", "--answer", "-", "--precedent",
                        stdin="Don't post about complaints.\n")
    assert resolved.returncode == 0, resolved.stderr
    assert "shared as a precedent" in resolved.stdout
    # The case came from Slack, and no bot token is set here: the advisor is told to pass the answer on.
    assert "SLACK_BOT_TOKEN is not set here" in resolved.stdout and "send the asker the answer" in resolved.stdout

    shown = canipost(env, "escalations", "show", "CP-00001")
    assert shown.returncode == 0
    for expected in ("CP-00001  RESOLVED", "[email removed]", "Rang Sam.", "Don't post about complaints.",
                     "au-aps.privacy.personal-information", "Audit trail:", "claimed", "resolved"):
        assert expected in shown.stdout
    data = json.loads(canipost(env, "escalations", "show", "CP-00001", "--json").stdout)
    # Resolved without a word on the ruling, the advisor agreed with canipost; shared as a precedent,
    # the ruling is learnt from unless they say otherwise.
    assert data["status"] == "resolved" and [e["action"] for e in data["audit"]] == [
        "created", "claimed", "commented", "resolved", "ruled", "consent-given"]
    assert data["ruling"]["agreement"] == "agreed" and data["ruling"]["learn"]
    assert data["audit"][1]["actor_id"] == "cli:Alex"

    as_json = json.loads(canipost(env, "escalations", "list", "--status", "open", "--json").stdout)
    assert [c["ref"] for c in as_json] == ["CP-00002"]

    precedents = canipost(env, "escalations", "precedents", "--json")
    assert json.loads(precedents.stdout)[0]["question"] == "Can I post that [email removed] complained about us?"

    stats = json.loads(canipost(env, "escalations", "stats", "--json").stdout)
    assert stats["by_status"]["resolved"] == 1 and stats["by_status"]["open"] == 1
    text_stats = canipost(env, "escalations", "stats").stdout
    assert "median time to resolve" in text_stats and "privacy" in text_stats

    exported = canipost(env, "escalations", "export", "--csv")
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [r["ref"] for r in rows] == ["CP-00001", "CP-00002"] and rows[0]["resolution"] == "Don't post about complaints."


def test_refusals_exit_2_with_one_line(seeded):
    env = seeded
    assert canipost(env, "escalations", "resolve", "CP-00002", "--by", "Alex", "--answer", "Yes.").returncode == 0
    again = canipost(env, "escalations", "resolve", "CP-00002", "--by", "Bo", "--answer", "Also yes.")
    assert again.returncode == 2 and again.stdout == ""
    assert again.stderr.count("\n") == 1 and "already resolved" in again.stderr and "Traceback" not in again.stderr
    claim = canipost(env, "escalations", "claim", "CP-00002", "--by", "Bo")
    assert claim.returncode == 2 and "already resolved" in claim.stderr
    missing = canipost(env, "escalations", "show", "CP-00404")
    assert missing.returncode == 2 and "There is no case CP-00404" in missing.stderr
    bad = canipost(env, "escalations", "list", "--status", "pending")
    assert bad.returncode == 2
    trail = json.loads(canipost(env, "escalations", "show", "CP-00002", "--json").stdout)["audit"]
    assert [e["action"] for e in trail] == ["created", "resolved", "ruled", "refused", "refused"]
    assert trail[3]["actor_id"] == "cli:Bo"


def test_by_defaults_to_the_login_name(seeded):
    assert canipost(seeded, "escalations", "claim", "CP-00001").stdout.splitlines()[0] == "CP-00001 claimed by advisor-login"


def test_purge_on_the_command_line(seeded, tmp_path):
    env = seeded
    with Store(env["CANIPOST_DB"]) as store:
        store.db.execute("UPDATE escalations SET status = 'resolved', resolution = 'Old.', "
                         "resolved_at = '2000-01-01T00:00:00.000Z' WHERE ref = 'CP-00001'")
    purged = canipost({**env, "CANIPOST_RETENTION_DAYS": "30"}, "escalations", "purge", "--json")
    assert purged.returncode == 0, purged.stderr
    assert json.loads(purged.stdout)["purged"] == ["CP-00001"]
    shown = json.loads(canipost(env, "escalations", "show", "CP-00001", "--json").stdout)
    assert shown["text"] is None and shown["audit"][-1]["action"] == "purged"


def test_feedback_report_on_the_command_line(env):
    with Store(env["CANIPOST_DB"]) as store:
        for user in ("U1", "U2"):
            store.feedback.record(False, "Can I post my team's photo?", "ok", ["au.photos"], "au-aps", user)
        store.feedback.record_unmatched("What about podcasts?", "au-aps", "U3")
    report = canipost(env, "feedback", "report")
    assert report.returncode == 0, report.stderr
    assert "au.photos: 2 not helpful" in report.stdout and "What about podcasts?" in report.stdout
    data = json.loads(canipost(env, "feedback", "report", "--json").stdout)
    assert data["totals"]["not-helpful"] == 2 and data["unmatched"][0]["count"] == 1


def test_add_attaches_the_engines_answer(env):
    added = canipost(env, "escalations", "add", "--asker", "Pat Phone", "--by", "Alex", "--via", "phone", "--json",
                     "--text", "Can I post about the PROTECTED briefing? Reach me on 0412 345 678.", "--as", "official")
    assert added.returncode == 0, added.stderr
    case = json.loads(added.stdout)
    assert case["ref"] == "CP-00001" and case["asker_name"] == "Pat Phone" and case["via"] == "phone"
    assert case["verdict"] in ("ok", "caution", "needs-approval", "do-not-post") and case["provisions"]
    assert case["capacity"] == "official" and case["profile"] == "au-aps"
    trail = json.loads(canipost(env, "escalations", "show", "CP-00001", "--json").stdout)["audit"]
    assert trail[0]["actor_id"] == "cli:Alex" and "for Pat Phone" in trail[0]["detail"]
    text = canipost(env, "escalations", "add", "--asker", "Pat", "--text", "-", stdin="May I blog about my job?\n")
    assert text.returncode == 0 and text.stdout.startswith("created CP-00002 for Pat")
    bad = canipost(env, "escalations", "add", "--asker", "Pat", "--text", "Hi", "--profile", "nowhere")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_export_to_a_file(seeded, tmp_path):
    target = tmp_path / "out" / "cases.jsonl"
    target.parent.mkdir()
    exported = canipost(seeded, "escalations", "export", "--json", "--no-text", "-o", str(target))
    assert exported.returncode == 0 and "exported 2 case(s)" in exported.stderr
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["ref"] for r in rows] == ["CP-00001", "CP-00002"] and "text" not in rows[0]
