"""The advisors teach canipost, on the command line: escalate, resolve with a disagreeing ruling, see it
in the agreement report, retrain with the rulings, and get the ruled verdict on a paraphrase of the case.
A small knowledge base that trains in seconds stands in for the shipped one (tests/teachable.py)."""

from __future__ import annotations

import json
import sqlite3

from canipost.model.weights import load_weights
from tests.teachable import CASE, PARAPHRASE, UNRELATED


def audit_rows(tmp_path, action):
    connection = sqlite3.connect(tmp_path / "data" / "canipost.db")
    try:
        return [row[0] for row in connection.execute("SELECT detail FROM audit WHERE action = ? ORDER BY id", [action])]
    finally:
        connection.close()


def ok(result):
    assert result.returncode == 0, result.stderr
    return result


def test_the_whole_loop_on_the_command_line(taught_kb, cli, tmp_path):
    knowledge = str(taught_kb.root)
    rulings_file = taught_kb.root.parent / "rulings" / "ex-base" / "rulings.yaml"
    check = lambda text: json.loads(ok(cli("check", "--json", "--knowledge", knowledge, "--profile", "ex-base",  # noqa: E731
                                           text)).stdout)
    before = check(PARAPHRASE)
    assert before["verdict"] != "do-not-post"

    added = ok(cli("escalations", "add", "--knowledge", knowledge, "--profile", "ex-base", "--mode", "check",
                   "--asker", "Sam", "--via", "email", "--text", CASE))
    assert "canipost's answer was caution" in added.stdout
    resolved = ok(cli("escalations", "resolve", "CP-00001", "--by", "Alex", "--answer", "No: the slides are not public.",
                      "--verdict", "do-not-post", "--topics", "official-information", "--provisions",
                      "ex.policy.protected", "--precedent", "--knowledge", knowledge))
    assert "ruling: do-not-post for personal (canipost said caution: under-called)" in resolved.stdout
    assert "used to improve answers" in resolved.stdout

    # The agreement report, and the same figures in the statistics.
    report = json.loads(ok(cli("escalations", "agreement", "--json")).stdout)
    assert (report["rulings"], report["under_called"], report["agreed"]) == (1, 1, 0)
    [month] = report["by_profile_month"]
    assert month["profile"] == "ex-base" and [c["ref"] for c in month["cases"]["under_called"]] == ["CP-00001"]
    assert "under-called  CP-00001" in ok(cli("escalations", "agreement", "--profile", "ex-base")).stdout
    assert json.loads(ok(cli("escalations", "stats", "--json")).stdout)["agreement"] == report
    listed = ok(cli("escalations", "rulings")).stdout
    assert "CP-00001" in listed and "do-not-post for personal (canipost caution)  learnt from" in listed
    assert "Ask me at [email removed]" in listed, "what will be learnt, as it will be learnt"

    # Retrained with the rulings: the example is the de-identified text, apart from the corpus.
    trained = ok(cli("kb", "train", "--with-rulings", "--knowledge", knowledge, timeout=300))
    assert "trained on 24 examples and 1 of the agency's rulings" in trained.stdout
    assert load_weights(taught_kb.root).manifest["rulings"]["examples"] == 1
    learnt = rulings_file.read_text()
    assert "ruling-cp-00001" in learnt and "[email removed]" in learnt and "sam.lee@" not in learnt
    validated = ok(cli("kb", "validate", "--knowledge", knowledge))
    assert "also trained on 1 of the agency's rulings" in validated.stdout
    [retrained] = audit_rows(tmp_path, "retrained")
    assert "1 ruling(s) (CP-00001)" in retrained and "on the agency's 1 ruling(s)" in retrained
    scored = ok(cli("eval", "--rulings", "--knowledge", knowledge))
    assert "on the agency's rulings: agrees with" in scored.stdout

    # A paraphrase of the case gets the ruling; an unrelated text does not.
    after = check(PARAPHRASE)
    assert after["verdict"] == "do-not-post"
    assert after["provisions"][0]["id"] == "ex.policy.protected" and after["provisions"][0]["engaged_by"] == "ruling"
    assert "an ethics advisor ruled on a similar post on" in after["summary"] and "(CP-00001)" in after["summary"]
    assert after["precedents"][0]["followed"]
    unrelated = check(UNRELATED)
    assert not any(p.get("followed") for p in unrelated.get("precedents", []))

    # Reopened, the case's ruling is withdrawn: the next retrain leaves it out.
    ok(cli("escalations", "reopen", "CP-00001", "--by", "Alex", "--reason", "The asker sent the final slides."))
    ok(cli("kb", "train", "--with-rulings", "--knowledge", knowledge, timeout=300))
    assert not rulings_file.exists()
    assert "rulings" not in load_weights(taught_kb.root).manifest
    assert "0 ruling(s) (none)" in audit_rows(tmp_path, "retrained")[-1]
    assert check(PARAPHRASE)["verdict"] == before["verdict"]


def test_a_retrain_that_does_worse_on_the_rulings_is_refused_unless_forced(taught_kb, cli, tmp_path):
    knowledge = str(taught_kb.root)
    announcement = "Our offices close for the public holiday on Friday"
    ok(cli("escalations", "add", "--knowledge", knowledge, "--profile", "ex-child", "--as", "official", "--mode",
           "check", "--asker", "Comms", "--text", announcement))
    resolved = ok(cli("escalations", "resolve", "1", "--answer", "Fine as it is.", "--learn", "--knowledge", knowledge))
    assert "(canipost said ok: agreed)" in resolved.stdout
    current = load_weights(taught_kb.root).digest()

    # The corpus is changed for the worse: such announcements now read as needing approval.
    for text in ("Our offices close", "Happy new year"):
        taught_kb.edit("examples/ex-base/small.yaml", f'verdict: ok, topics: [], text: "{text}',
                       f'verdict: needs-approval, topics: [official-information], text: "{text}')
    refused = cli("kb", "train", "--knowledge", knowledge, timeout=300)
    assert refused.returncode == 1
    assert "refused: on the agency's 1 ruling(s) the new model agrees with 0/1" in refused.stderr
    assert "worse than the current model: agrees with 1/1" in refused.stderr and "--force" in refused.stderr
    assert load_weights(taught_kb.root).digest() == current, "the current model is kept"
    assert len(audit_rows(tmp_path, "retrain-refused")) == 1

    forced = ok(cli("kb", "train", "--force", "--knowledge", knowledge, timeout=300))
    assert "worse than the current model" in forced.stdout
    assert load_weights(taught_kb.root).digest() != current
    assert audit_rows(tmp_path, "retrained")[-1].endswith("; forced")


def test_eval_needs_something_to_score(taught_kb, cli):
    nothing = cli("eval", "--knowledge", str(taught_kb.root))
    assert nothing.returncode == 2 and "give labelled case files, or --rulings" in nothing.stderr
    empty = ok(cli("eval", "--rulings", "--knowledge", str(taught_kb.root)))
    assert "no rulings to score on" in empty.stdout


def test_resolving_refuses_a_ruling_it_cannot_keep(taught_kb, cli):
    knowledge = str(taught_kb.root)
    ok(cli("escalations", "add", "--knowledge", knowledge, "--profile", "ex-base", "--asker", "Sam", "--text", CASE))
    for args, problem in ((("--verdict", "do-not-post", "--topics", ""), "names the topics it engages"),
                          (("--provisions", "au.aps-code.privacy"), "no provision 'au.aps-code.privacy'"),
                          (("--no-ruling", "--verdict", "ok"), "--no-ruling leaves out the ruling")):
        refused = cli("escalations", "resolve", "1", "--answer", "x", "--knowledge", knowledge, *args)
        assert refused.returncode == 2 and problem in refused.stderr and "Traceback" not in refused.stderr
    plain = ok(cli("escalations", "resolve", "1", "--answer", "Fine.", "--no-ruling"))
    assert "no ruling recorded" in plain.stdout
    consent = cli("escalations", "consent", "1", "--yes")
    assert consent.returncode == 2 and "has no ruling" in consent.stderr


def test_a_retrain_away_from_the_database_trains_on_the_directory_as_it_is(taught_kb, cli, tmp_path):
    knowledge = str(taught_kb.root)
    ok(cli("escalations", "add", "--knowledge", knowledge, "--profile", "ex-base", "--asker", "Sam", "--text", CASE))
    ok(cli("escalations", "resolve", "1", "--answer", "No.", "--verdict", "do-not-post", "--topics",
           "official-information", "--learn"))
    copied = tmp_path / "copied-rulings"
    written = ok(cli("escalations", "rulings", "--write", "--rulings-dir", str(copied), "--knowledge", knowledge))
    assert f"1 example(s) written to {copied}" in written.stderr
    elsewhere = {"CANIPOST_DATA_DIR": str(tmp_path / "elsewhere")}
    trained = ok(cli("kb", "train", "--with-rulings", "--rulings-dir", str(copied), "--knowledge", knowledge,
                     env=elsewhere, timeout=300))
    assert "1 of the agency's rulings" in trained.stdout and "CP-00001" in trained.stderr
    assert "this retrain is not on the audit trail" in trained.stderr
    assert not (tmp_path / "elsewhere").exists(), "no database is made where there was none"
