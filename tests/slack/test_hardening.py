"""Issue 12 in Slack: pasted tokens never stored (item 2), no secret in the logs (item 5), the
advisors see the asker's text as written and nothing more (item 7), unsigned certificate checks
refused (item 7), and plain-http Slack URLs refused at start (item 7)."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.parse

from .conftest import ADVISORS_CHANNEL, SECRET
from .driver import button, text_of, uid
from .test_escalations import SERIOUS, ask_in_dm, escalate

# The shape of a real bot token: its digit runs look like phone numbers to the engine.
PASTED = "xoxb-" + "4815162342-" + "1123581321-" + "ZqWvPxRtYsUoKiJhGfEdCbAa"
SUFFIX = PASTED.rsplit("-", 1)[1]


def database_bytes(app) -> bytes:
    return b"".join(p.read_bytes() for p in app.db_path.parent.glob(app.db_path.name + "*"))


def test_a_pasted_token_reaches_no_column_and_no_log(slack, standin, app):
    asker = uid("U")
    question = f"{SERIOUS} Also, I pasted {PASTED} into our team channel. Call me on 0412 345 678."
    case, *_ = escalate(slack, standin, app, asker, question, context=f"The token was {PASTED}.")
    # Mark it not helpful too, so that the feedback table holds the question.
    _, answer = ask_in_dm(slack, standin, asker, question)
    slack.click(asker, "feedback:not_helpful", button(answer.blocks, "feedback:not_helpful")["value"],
                channel=uid("D"), message_ts="1.000001", ephemeral=True)
    app.wait_rows("SELECT * FROM feedback WHERE user_id = ?", (asker,))
    assert "[secret removed]" in case["text"]
    raw = database_bytes(app)
    assert SUFFIX.encode() not in raw, "the token's secret part is in the database"
    assert SUFFIX not in app.log_text()


def test_advisors_see_no_bidi_overrides_zero_width_characters_or_the_askers_formatting(slack, standin, app):
    asker = uid("U")
    text = (f"{SERIOUS} \u202eNothing to see\u202c here, *Resolved by the Secretary* and "
            "PROT\u200bECTED figures \u2066hidden\u2069.")
    case, notice, *_ = escalate(slack, standin, app, asker, text, context="_urgent_ ~really~ `now`")
    shown = text_of(notice.blocks)
    for character in ("\u202e", "\u202c", "\u200b", "\u2066", "\u2069"):
        assert character not in notice.raw and character not in shown
    assert "*Resolved" not in shown and "_urgent_" not in shown and "~really~" not in shown and "`now`" not in shown
    assert "Resolved by the Secretary" in shown and "PROTECTED figures" in shown, "the words themselves are shown"

    # The same in the advisors' queue in the Home tab.
    mark = standin.mark()
    slack.home_opened("U0ADVISOR")
    home = standin.wait_for(lambda c: c.method == "views.publish" and c.body.get("user_id") == "U0ADVISOR",
                            mark=mark)[0]
    queue = text_of(home.view["blocks"])
    assert "*Resolved" not in queue and "\u202e" not in queue


def test_an_unsigned_certificate_check_is_refused(slack):
    body = urllib.parse.urlencode({"ssl_check": "1", "token": "deprecated"})
    form = "application/x-www-form-urlencoded"
    assert slack.post(body, form, sign=False).status == 401
    assert slack.post(body, form, secret="0" * 32).status == 401
    assert slack.post(body, form).status == 200, "a signed one is answered"


def test_serve_refuses_a_plain_http_slack_url_that_is_not_this_machine(tmp_path):
    env = {"SLACK_BOT_TOKEN": "xoxb-1-2-abcdefghij", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": "http://slack-proxy.example.gov.au/api/", "CANIPOST_DATA_DIR": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "canipost", "serve", "--http", "--port", "1"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and time.monotonic() - started < 30
    assert "SLACK_API_URL" in result.stderr and "unencrypted" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_proxy_password_in_the_slack_url_is_never_logged(start_app, standin):
    password = "Pr0xyPassw0rdNeverLogged"
    url = standin.api_url.replace("http://", f"http://canipost:{password}@")
    running = start_app({"SLACK_API_URL": url})
    serving = running.wait_log("serving")[0]
    assert "[redacted]@127.0.0.1" in serving["api_url"]
    assert password not in running.log_text()
