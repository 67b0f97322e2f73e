"""`canipost ask` and `canipost check`, as a user runs them."""

import csv
import io
import json


def test_ask_prints_a_readable_answer(cli):
    result = cli("ask", "--profile", "au-treasury", "Can I use my Treasury email address to sign up for a Reddit account for my hobby?")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("DO NOT POST") and "(au-treasury, personal)" in out.splitlines()[0]
    assert "Provisions:" in out and "Social Media Policy" in out
    assert "not a ruling" in out


def test_check_json_is_the_contract_answer(cli):
    result = cli("check", "--profile", "nz-ps", "--as", "official", "--json",
                 "Like and share! Our friends at Acme Solar have the best panels in town.")
    assert result.returncode == 0
    answer = json.loads(result.stdout)
    assert answer["verdict"] == "do-not-post" and answer["capacity"] == "official" and answer["profile"] == "nz-ps"
    assert any("endorsement" in p["topics"] for p in answer["provisions"][:3])


def test_words_without_quotes_are_one_text(cli):
    result = cli("ask", "--json", "can", "I", "post", "under", "a", "pseudonym?")
    assert json.loads(result.stdout)["capacity"] == "personal"


def test_dash_reads_standard_input(cli):
    result = cli("check", "--json", "-", input="Great day at the Canberra marathon with my running club! 🏃\n")
    assert result.returncode == 0
    assert json.loads(result.stdout)["verdict"] == "ok"


def test_profile_defaults_to_the_environment(cli):
    result = cli("ask", "--json", "Can I post under an alias?", env={"CANIPOST_PROFILE": "uk-cs"})
    assert json.loads(result.stdout)["profile"] == "uk-cs"


def test_bad_usage_and_bad_input_exit_2_with_one_line(cli):
    cases = [
        (("ask", "--profile", "xx-none", "hello"), "unknown profile 'xx-none' (known: au-aps, au-treasury, ca-fps, nz-ps, uk-cs)"),
        (("ask", "--as", "spy", "hello"), "invalid choice: 'spy'"),
        (("check",), "nothing to check"),
        (("check", "   "), "no text to check"),
        (("check", "x" * 40_001), "40,000"),
        (("check", "--batch", "/nonexistent/file.jsonl"), "cannot read /nonexistent/file.jsonl"),
        (("frobnicate",), "invalid choice"),
    ]
    for args, message in cases:
        result = cli(*args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_unknown_profile_from_the_environment_is_a_clear_error(cli):
    result = cli("ask", "hello", env={"CANIPOST_PROFILE": "nowhere"})
    assert result.returncode == 2 and "unknown profile 'nowhere'" in result.stderr


def test_standard_input_that_is_not_utf8_is_refused(cli, tmp_path):
    import subprocess, sys, os
    result = subprocess.run([sys.executable, "-m", "canipost", "check", "-"], input=b"caf\xe9 \xff",
                            capture_output=True, cwd=tmp_path, env={**os.environ, "CANIPOST_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and b"not UTF-8" in result.stderr


def test_batch_answers_every_line_in_order_and_reports_bad_lines(cli, tmp_path):
    requests = [
        json.dumps({"text": "Happy birthday to my sister!"}),
        "this is not json",
        json.dumps({"text": "Can I post under a pseudonym?", "mode": "ask", "profile": "au-aps", "as": "personal"}),
        json.dumps({"mode": "ask"}),
        json.dumps({"text": "hello", "profile": "zz-none"}),
        "",
        json.dumps({"text": "Our Secretary of State clearly has no idea what she's doing.", "profile": "uk-cs"}),
    ]
    batch = tmp_path / "requests.jsonl"
    batch.write_text("\n".join(requests) + "\n")
    result = cli("check", "--batch", str(batch), "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(requests)
    assert lines[0]["verdict"] == "ok"
    assert lines[1]["error"].startswith("line 2: not valid JSON")
    assert lines[2]["verdict"] in ("caution", "do-not-post") and lines[2]["profile"] == "au-aps"
    assert "missing \"text\"" in lines[3]["error"]
    assert "unknown profile 'zz-none'" in lines[4]["error"]
    assert "empty line" in lines[5]["error"]
    assert lines[6]["verdict"] == "do-not-post"


def test_batch_reads_a_content_calendar_csv_and_adds_the_answer(cli, tmp_path):
    calendar = tmp_path / "calendar.csv"
    calendar.write_text("date,channel,text\n"
                        "2026-12-01,LinkedIn,\"Applications for the graduate program open today, see our website.\"\n"
                        "2026-12-02,X,\"Sneak peek: the draft cabinet submission we're working on 👀\"\n"
                        "2026-12-03,X,\n")
    result = cli("check", "--batch", str(calendar), "--profile", "au-aps", "--as", "official")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["date"] for r in rows] == ["2026-12-01", "2026-12-02", "2026-12-03"]
    assert rows[0]["verdict"] in ("ok", "caution") and rows[0]["channel"] == "LinkedIn"
    assert rows[1]["verdict"] == "do-not-post" and "official-information" in rows[1]["topics"]
    assert rows[2]["verdict"] == "" and "no text to check" in rows[2]["error"]


def test_a_csv_without_a_text_column_is_refused(cli, tmp_path):
    calendar = tmp_path / "calendar.csv"
    calendar.write_text("date,post\n2026-12-01,hello\n")
    result = cli("check", "--batch", str(calendar))
    assert result.returncode == 2 and "no 'text' column" in result.stderr


def test_eval_scores_cases_and_fails_below_a_floor(cli, tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- id: t-1\n  mode: check\n  profile: au-aps\n  as: personal\n  text: Happy birthday mum!\n  verdict: ok\n  topics: []\n"
        "- id: t-2\n  mode: check\n  profile: au-aps\n  as: personal\n  text: Happy birthday dad!\n  verdict: do-not-post\n"
        "  topics: [privacy]\n")
    result = cli("eval", str(cases))
    assert result.returncode == 0
    assert "MISS t-2: verdict ok (want do-not-post) UNSAFE" in result.stdout
    assert "cases 2  verdict accuracy 0.50" in result.stdout and "unsafe 1" in result.stdout
    assert cli("eval", str(cases), "--max-unsafe", "0").returncode == 1


def test_kb_show_prints_one_provision_with_its_citation(cli, kb):
    provision = next(iter(kb.provisions.values()))
    result = cli("kb", "show", provision.id)
    assert result.returncode == 0
    assert provision.citation in result.stdout and provision.source.cite() in result.stdout
    missing = cli("kb", "show", provision.id + "x")
    assert missing.returncode == 2 and "did you mean" in missing.stderr


def test_ask_shows_an_advisors_precedent_for_a_similar_question(cli, tmp_path, engine):
    from canipost.store import Actor, Store

    db = tmp_path / "escalations.db"
    question = "Can I post photos from our team offsite that show colleagues' faces on my Instagram?"
    with Store(db) as store:
        answer = engine.answer(question, mode="ask", profile="au-aps").to_dict()
        case = store.escalations.create(asker=Actor("U1", "Sam"), text=question, answer=answer, profile="au-aps")
        store.escalations.resolve(case.ref, Actor("U9", "Alex", is_advisor=True),
                                  "Ask your colleagues first and leave out anyone who says no.", precedent=True)
    result = cli("ask", "--profile", "au-aps", "Is it ok to post photos of my colleagues from the team offsite on Instagram?",
                 env={"CANIPOST_DB": str(db)})
    assert result.returncode == 0, result.stderr
    assert "An ethics advisor answered a similar question on" in result.stdout and case.ref in result.stdout
    assert "Ask your colleagues first" in result.stdout
    unrelated = cli("ask", "--json", "Can I share the minimum wage announcement?", env={"CANIPOST_DB": str(db)})
    assert "precedents" not in json.loads(unrelated.stdout)


def test_answering_offline_creates_no_database(cli, tmp_path):
    cli("ask", "Can I post under a pseudonym?", env={"CANIPOST_DB": str(tmp_path / "none.db")})
    assert not (tmp_path / "none.db").exists()
