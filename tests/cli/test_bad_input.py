"""Issue 12, items 4, 5 and 6 on the command line: bad input is answered with a message, never a
traceback; no secret is repeated in a message; CSV written for spreadsheets carries no formula."""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import signal
import subprocess
import sys

import pytest

TOKEN = "xoxb-2718281828-3141592653-" + "SecretPartOfTheTokenAbc"
SIGNING_SECRET = "8c9d0e1f2a3b4c5d6e7f80918a7b6c5d"


def no_traceback(result) -> None:
    assert "Traceback" not in result.stderr and "Exception" not in result.stderr, result.stderr


def test_a_malformed_jsonl_line_gets_an_error_and_the_others_are_answered(cli, tmp_path):
    batch = tmp_path / "requests.jsonl"
    batch.write_text("\n".join([
        json.dumps({"text": "Happy birthday to my sister!"}),
        json.dumps({"text": "Can I post under a pseudonym?", "profile": ["au-aps", "uk-cs"]}),
        json.dumps({"text": "hello", "as": {"official": True}, "mode": 3}),
        "[" * 100_000,
        json.dumps({"text": "Can I share my team's award on LinkedIn?", "mode": "ask"}),
    ]) + "\n")
    result = cli("check", "--batch", str(batch), "--json")
    no_traceback(result)
    assert result.returncode == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 5
    assert lines[0]["verdict"] == "ok" and lines[4]["verdict"]
    assert lines[1]["error"] == 'line 2: "profile" must be a string'
    assert lines[2]["error"].startswith("line 3: ") and "must be a string" in lines[2]["error"]
    assert lines[3]["error"].startswith("line 4: not valid JSON")


def test_a_jsonl_line_that_is_not_utf8_is_one_error(cli, tmp_path):
    batch = tmp_path / "requests.jsonl"
    batch.write_bytes(b'{"text": "caf\xe9"}\n' + json.dumps({"text": "Happy birthday mum!"}).encode() + b"\n")
    result = cli("check", "--batch", str(batch), "--json")
    no_traceback(result)
    first, second = [json.loads(line) for line in result.stdout.splitlines()]
    assert first["error"].startswith("line 1: not UTF-8") and second["verdict"] == "ok"


def test_ragged_and_oversized_csv_rows_are_reported_and_the_rest_answered(cli, tmp_path):
    calendar = tmp_path / "calendar.csv"
    calendar.write_text(
        "date,text\n"
        "2026-12-01,Happy birthday to my sister!,extra,fields\n"
        "2026-12-02\n"
        f"2026-12-03,\"{'x' * 200_000}\"\n"
        "2026-12-04,Applications for the graduate program open today.\n")
    for extra in ((), ("--json",)):
        result = cli("check", "--batch", str(calendar), *extra)
        no_traceback(result)
        assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(cli("check", "--batch", str(calendar)).stdout)))
    assert [r["date"] for r in rows if r["date"]][-1] == "2026-12-04" and rows[-1]["verdict"]
    errors = [r["error"] for r in rows]
    assert "row 1 has 4 field(s) where the header has 2" in errors
    assert "row 2 has 1 field(s) where the header has 2" in errors
    assert any("cannot be read as CSV" in e for e in errors)


def test_an_excel_csv_utf8_file_with_a_byte_order_mark_is_read(cli, tmp_path):
    calendar = tmp_path / "calendar.csv"
    # The mark sits before the first column's name: here, the text column's.
    calendar.write_bytes("\ufefftext,date\r\nHappy birthday to my sister!,2026-12-01\r\n".encode("utf-8"))
    result = cli("check", "--batch", str(calendar))
    assert result.returncode == 0, result.stderr
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["verdict"] == "ok"


def test_a_csv_that_is_not_utf8_is_refused_naming_the_line(cli, tmp_path):
    calendar = tmp_path / "calendar.csv"
    calendar.write_bytes(b"date,text\n2026-12-01,fine\n2026-12-02,caf\xe9\n")
    result = cli("check", "--batch", str(calendar))
    assert result.returncode == 2 and "line 3" in result.stderr
    no_traceback(result)


@pytest.mark.parametrize("args", [
    ("escalations", "list", "--limit", "99999999999999999999"),
    ("escalations", "purge", "--days", "99999999999999999999"),
    ("feedback", "report", "--days", "99999999999999999999"),
    ("escalations", "list", "--limit", "-1"),
    ("serve", "--port", "99999999999999999999"),
])
def test_integer_overflow_is_a_usage_error(cli, args):
    result = cli(*args)
    assert result.returncode == 2 and "must be between" in result.stderr, result.stderr
    no_traceback(result)


def test_a_batch_csv_answer_never_starts_a_formula(cli, tmp_path):
    calendar = tmp_path / "calendar.csv"
    calendar.write_text('text,note\n"=HYPERLINK(""http://evil.example"",""click"")",+1\n@SUM(A1),-2\n')
    result = cli("check", "--batch", str(calendar))
    assert result.returncode == 0, result.stderr
    cells = [cell for row in csv.reader(io.StringIO(result.stdout)) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in cells and "'+1" in cells


def test_a_full_disk_on_standard_output_is_one_clear_line(cli):
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "canipost", "ask", "Can I post under a pseudonym?"],
                                stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == "canipost: could not write: No space left on device"


@pytest.mark.parametrize("variable", ["SLACK_API_URL", "CANIPOST_LOG_LEVEL", "CANIPOST_PROFILE", "PORT"])
@pytest.mark.parametrize("secret", [TOKEN, SIGNING_SECRET, "https://canipost:Pr0xyPassw0rd@proxy.example/api/"])
def test_a_secret_pasted_into_the_wrong_variable_is_not_repeated(cli, variable, secret):
    result = cli("ask", "Can I post under a pseudonym?", env={variable: secret})
    no_traceback(result)
    output = result.stdout + result.stderr
    assert "SecretPartOfTheToken" not in output and SIGNING_SECRET not in output
    assert SIGNING_SECRET.upper() not in output and "Pr0xyPassw0rd" not in output


def fsize_limit(limit: int):
    """For a child process: files it writes cannot grow past ``limit`` bytes (a full disk, as
    far as it can tell); the write fails instead of killing it."""
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_full_disk_while_saving_a_case_loses_nothing(tmp_path):
    from canipost.store import Actor, Store

    db = tmp_path / "data" / "canipost.db"
    with Store(db) as store:
        store.escalations.create(asker=Actor("U1", "Sam"), text="First case", profile="au-aps",
                                 answer={"verdict": "ok", "profile": "au-aps"})
    env = {**os.environ, "CANIPOST_DB": str(db)}
    result = subprocess.run([sys.executable, "-m", "canipost", "escalations", "add", "--asker", "Pat", "--text",
                             "Second case " + "words " * 6_000], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, preexec_fn=fsize_limit(40 * 1024))
    assert result.returncode == 2, result.stdout
    assert "nothing was saved" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    no_traceback(result)
    with Store(db) as store:
        assert [c.text for c in store.escalations.list(Actor("x", is_advisor=True))] == ["First case"]
        assert store.database.integrity_check() == "ok"


def test_a_full_disk_while_exporting_keeps_the_earlier_export(tmp_path):
    from canipost.store import Actor, Store

    db = tmp_path / "data" / "canipost.db"
    with Store(db) as store:
        for n in range(100):
            store.escalations.create(asker=Actor("U1", "Sam"), text=f"Case {n} " + "words " * 200,
                                     profile="au-aps", answer={"verdict": "ok", "profile": "au-aps"})
    earlier = tmp_path / "cases.csv"
    earlier.write_text("the export from yesterday\n")
    result = subprocess.run([sys.executable, "-m", "canipost", "escalations", "export", "-o", str(earlier)],
                            env={**os.environ, "CANIPOST_DB": str(db)}, cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, preexec_fn=fsize_limit(64 * 1024))
    assert result.returncode == 2 and "could not write" in result.stderr
    no_traceback(result)
    assert earlier.read_text() == "the export from yesterday\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.csv", "data"], "no half-written file left"


def test_the_escalations_export_never_starts_a_formula(tmp_path):
    from canipost.store import Actor, Store

    db = tmp_path / "data" / "canipost.db"
    texts = ['=HYPERLINK("http://evil.example","help")', "+61 2 6271 5111 is my number", "-1 for this",
             "@channel look", "\t=1+1", "\r=1+1"]
    with Store(db) as store:
        for text in texts:
            store.escalations.create(asker=Actor(text[:12], "=cmd|' /C calc'!A0"), text=text, context=text,
                                     profile="au-aps", answer={"verdict": "ok", "profile": "au-aps"})
    result = subprocess.run([sys.executable, "-m", "canipost", "escalations", "export"], capture_output=True,
                            text=True, env={**os.environ, "CANIPOST_DB": str(db)}, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout, newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    assert "'=HYPERLINK(\"http://evil.example\",\"help\")" in cells and "'-1 for this" in cells


def test_training_a_knowledge_base_with_too_few_examples_says_so(cli, mini_kb):
    result = cli("kb", "train", "--knowledge", str(mini_kb.root))
    assert result.returncode == 1
    assert "training needs at least 5 situations" in result.stderr and "Traceback" not in result.stderr
    assert not (mini_kb.root / "model").exists(), "nothing is written"
