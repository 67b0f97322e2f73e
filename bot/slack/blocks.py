"""Block Kit for every message, modal and Home tab canipost shows, as pure functions.

Two rules hold for everything built here:

* **User text is escaped** (``&``, ``<``, ``>``) wherever it is echoed, so a draft holding
  ``<!channel>`` or ``<@U123>`` shows those characters and never pings anyone. Only markup
  built here (links, dates) uses raw angle brackets.
* **Slack's limits are enforced, never hit**: at most 50 blocks a message (100 in a modal or
  the Home tab), 3,000 characters a section, 75 a button label, 2,000 a button value, 150 a
  header, 255 a block id. Lengths are counted as Slack counts them (UTF-16 code units), and a
  cut never splits an escape sequence or a link. A long answer shows its first provisions
  with a button for the rest.

Answers are rendered from the contract dict (``Answer.to_dict()``, as kept in the store's
answer log), so a button pressed days later re-renders the same answer. The few bits of
display state a re-render needs (expanded, feedback given, escalated as) ride in the block
ids of the answer's action blocks, so that button values carry only the answer's short id.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping, Sequence

from ..contract import CAPACITIES, TOPICS, VERDICTS
from ..engine.answer import VERDICT_LABELS

# -- Slack's limits -----------------------------------------------------------------------

MESSAGE_BLOCKS = 50
SURFACE_BLOCKS = 100  # modals and the Home tab
SECTION_TEXT = 3000
CONTEXT_ELEMENTS = 10
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
HEADER_TEXT = 150
BLOCK_ID = 255
MODAL_TITLE = 24
MODAL_BUTTON = 24
PRIVATE_METADATA = 3000
OPTION_TEXT = 75
INPUT_MAX = 3000
FALLBACK_TEXT = 3000  # the notification text; Slack allows more, nobody reads more

PROVISIONS_SHOWN = 3  # before "more provisions"
FINDING_TEXT = 160
SUGGESTION_TEXT = 1500

VERDICT_SIGNS = {
    "ok": ":white_check_mark:",
    "caution": ":warning:",
    "needs-approval": ":raised_hand:",
    "do-not-post": ":no_entry:",
}
STATUS_SIGNS = {"open": ":hourglass_flowing_sand:", "reopened": ":hourglass_flowing_sand:",
                "claimed": ":eyes:", "resolved": ":white_check_mark:"}
URGENCY_LABELS = {"low": "Low", "normal": "Normal", "high": "High", "urgent": "Urgent"}
CAPACITY_LABELS = {"official": "Official", "professional": "Professional", "personal": "Personal"}

# Action ids: the listeners register these.
ACTION_ESCALATE = "escalate"
ACTION_MORE = "more_provisions"
ACTION_CAPACITY_PREFIX = "capacity:"
ACTION_FEEDBACK_PREFIX = "feedback:"
ACTION_CLAIM = "claim"
ACTION_RESOLVE = "resolve"

# Modal callback ids, and the block ids of their inputs (each input's action id is "value").
VIEW_CHECK = "check_draft"
VIEW_ESCALATE = "escalate_submit"
VIEW_RESOLVE = "resolve_submit"
INPUT_DRAFT = "draft"
INPUT_CAPACITY = "capacity"
INPUT_PLAN = "plan"
INPUT_CONTEXT = "context"
INPUT_URGENCY = "urgency"
INPUT_KEEP_DETAILS = "keep_details"
INPUT_ANSWER = "answer"
INPUT_PRECEDENT = "precedent"
INPUT_RULING_VERDICT = "ruling_verdict"
INPUT_RULING_CAPACITY = "ruling_capacity"
INPUT_RULING_TOPICS = "ruling_topics"
INPUT_RULING_PROVISIONS = "ruling_provisions"
INPUT_LEARN = "learn"
INPUT_WORDING = "wording"
VALUE = "value"

#: The consent to learn from a ruling: yes, no, or (the default) only when it is shared as a precedent.
LEARN_CHOICES = {"precedent": None, "yes": True, "no": False}
RULING_LABELS = {"ok": "OK to post", "caution": "Post with care", "needs-approval": "Needs approval first",
                 "do-not-post": "Do not post"}
AGREEMENT_LABELS = {"under_called": "under-called", "over_called": "over-called", "agreed": "agreed"}

CONTACT_KINDS = ("email", "phone")


# -- text ---------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Characters that change how the text around them reads without showing themselves:
# bidirectional overrides, embeddings, isolates and marks (which can make a name or a status
# read backwards), zero-width spaces, joiners and the like, and the byte-order mark.
_INVISIBLE = re.compile("[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")
# The asker's own mrkdwn (bold, italics, strikes, code) in what advisors see: each marker is
# shown as a lookalike that Slack does not format, so a case cannot dress itself up as canipost's
# own words ("*Resolved*").
_FORMATTING = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})
_TRAILING_ENTITY = re.compile(r"&[#a-zA-Z0-9]{0,8}$")
_SLACK_MARKUP = re.compile(r"<([^<>\n]*)>")


def clean(text: Any) -> str:
    """``text`` as a string Slack accepts: no control characters, no lone surrogates."""
    text = "" if text is None else str(text)
    # A lone surrogate (from JSON such as "\\ud800") cannot be encoded, so the whole
    # request would fail; it becomes U+FFFD instead.
    text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return _INVISIBLE.sub(_visible_or_nothing, _CONTROL.sub("", text))


def _visible_or_nothing(match: re.Match) -> str:
    """A zero-width joiner inside an emoji sequence (a family, a flag) stays; all else goes."""
    if match.group() == "\u200d":
        text, at = match.string, match.start()
        before, after = text[at - 1:at], text[at + 1:at + 2]
        if before and after and unicodedata.category(after) == "So" and unicodedata.category(before) in ("So", "Mn", "Sk"):
            return match.group()
    return ""


def from_asker(text: Any) -> str:
    """An asker's text (or name) for the advisors: cleaned as :func:`clean` does, and with the
    asker's own formatting shown rather than applied. Escape it as any user text afterwards."""
    return clean(text).translate(_FORMATTING)


def escape(text: Any) -> str:
    """User text made safe for mrkdwn: it shows as written and pings nobody."""
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def units(text: str) -> int:
    """Length as Slack counts it (UTF-16 code units: an emoji is two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clip(text: str, limit: int, ellipsis: str = "\u2026") -> str:
    """``text`` cut to at most ``limit`` units, ending in an ellipsis when cut.

    Never ends inside an escape sequence (``&am``) or inside markup built here (``<http``):
    either would show as garbage, or make Slack reject the block.
    """
    if units(text) <= limit:
        return text
    room = max(limit - units(ellipsis), 0)
    cut, used = [], 0
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        if used + width > room:
            break
        cut.append(char)
        used += width
    out = "".join(cut)
    out = _TRAILING_ENTITY.sub("", out)
    opened = out.rfind("<")
    if opened > out.rfind(">"):
        out = out[:opened]
    return out.rstrip() + ellipsis


def quote(text: str, limit: int) -> str:
    """``text`` (escaped) as a mrkdwn block quote of at most ``limit`` units."""
    body = clip(escape(text).strip(), max(limit - 2, 1))
    lines = body.splitlines() or [""]
    quoted = "\n".join("> " + line for line in lines)
    return clip(quoted, limit)


def from_slack(text: Any) -> str:
    """Plain text from Slack's message format (mentions, links, ``&amp;``), for the engine.

    ``<@U123|sam>`` becomes ``@sam``, ``<!channel>`` ``@channel``, ``<https://x|label>``
    ``label (https://x)``; then the three escapes are undone. Text typed into a modal is
    already plain and must not go through this.
    """
    def plain(match: re.Match) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith(("@", "#")):
            return target[0] + (label or target[1:])
        if target.startswith("!subteam^"):
            return "@" + (label.lstrip("@") or "group")
        if target.startswith("!date^"):
            return label
        if target.startswith("!"):
            return "@" + target[1:].split("^")[0]
        if target.startswith("mailto:"):
            return label or target[len("mailto:"):]
        if label and label not in target:
            return f"{label} ({target})"
        return target

    text = _SLACK_MARKUP.sub(plain, clean(text))
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def strip_mention(text: str, user_id: str | None) -> str:
    """The message without the mentions of ``user_id`` (the bot) in it."""
    if not user_id:
        return text
    return re.sub(rf"<@{re.escape(user_id)}(?:\|[^>]*)?>", " ", text).strip()


def link(url: str, label: str) -> str:
    """A mrkdwn link, with the URL made safe to sit inside ``<...|...>``."""
    safe = clean(url).replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{safe}|{escape(label)}>"


def slack_date(timestamp: str | None) -> str:
    """A store timestamp shown in each reader's own time zone (with a UTC fallback)."""
    if not timestamp:
        return ""
    try:
        moment = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return escape(timestamp)
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{moment:%d %b %Y %H:%M} UTC>"


# -- block primitives ---------------------------------------------------------------------

def mrkdwn(text: str, limit: int = SECTION_TEXT) -> dict:
    return {"type": "mrkdwn", "text": clip(text, limit) or " "}


def plain(text: str, limit: int) -> dict:
    """A plain_text object: for labels canipost writes itself, never for user text."""
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def section(text: str, **extra: Any) -> dict:
    return {"type": "section", "text": mrkdwn(text), **extra}


def fields_section(pairs: Sequence[tuple[str, str]]) -> dict:
    """A section of up to 10 short fields (label, already escaped value)."""
    return {"type": "section", "fields": [mrkdwn(f"*{label}*\n{value}", 2000) for label, value in pairs[:10]]}


def context(*texts: str) -> dict:
    elements = [mrkdwn(t) for t in texts if t][:CONTEXT_ELEMENTS]
    return {"type": "context", "elements": elements or [mrkdwn(" ")]}


def header(text: str) -> dict:
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def divider() -> dict:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    element = {"type": "button", "text": plain(text, BUTTON_TEXT), "action_id": action_id[:255],
               "value": value[:BUTTON_VALUE]}
    if style:
        element["style"] = style
    return element


def actions(block_id: str, *elements: dict) -> dict:
    return {"type": "actions", "block_id": block_id[:BLOCK_ID], "elements": list(elements)[:25]}


def option(text: str, value: str) -> dict:
    return {"text": plain(text, OPTION_TEXT), "value": value}


def fit(blocks: list[dict], limit: int = MESSAGE_BLOCKS) -> list[dict]:
    """At most ``limit`` blocks, the last saying that some were left out."""
    if len(blocks) <= limit:
        return blocks
    return blocks[:limit - 1] + [context(f"_{len(blocks) - limit + 1} more item(s) not shown._")]


# -- display state carried in block ids ---------------------------------------------------

@dataclass(frozen=True)
class Shown:
    """How an answer is currently shown: what a re-render must keep."""

    expanded: bool = False
    feedback: str | None = None  # "helpful" or "not_helpful"
    escalated: str | None = None  # the case reference

    def encode(self, prefix: str, answer_id: str) -> str:
        parts = (prefix, answer_id, "x" if self.expanded else "", self.feedback or "", self.escalated or "")
        return "|".join(parts)[:BLOCK_ID]

    @classmethod
    def decode(cls, block_id: str | None) -> "Shown":
        parts = (block_id or "").split("|")
        parts += [""] * (5 - len(parts))
        feedback = parts[3] if parts[3] in ("helpful", "not_helpful") else None
        return cls(expanded=parts[2] == "x", feedback=feedback, escalated=parts[4] or None)

    def but(self, **changes: Any) -> "Shown":
        return replace(self, **changes)


# -- answers ------------------------------------------------------------------------------

def verdict_line(verdict: str) -> str:
    return f"{VERDICT_SIGNS.get(verdict, ':grey_question:')} *{VERDICT_LABELS.get(verdict, escape(verdict).upper())}*"


def answer_text(answer: Mapping[str, Any]) -> str:
    """The notification text of an answer (what a phone shows; screen readers start here)."""
    label = VERDICT_LABELS.get(answer.get("verdict", ""), "ANSWER")
    return clip(f"{label}: {escape(answer.get('summary', ''))}", FALLBACK_TEXT)


def answer_blocks(answer: Mapping[str, Any], answer_id: str | None = None, shown: Shown = Shown()) -> list[dict]:
    """An answer as Block Kit: verdict, summary, findings, provisions, contact and buttons."""
    head = _answer_head(answer)
    tail = _answer_tail(answer, answer_id, shown)
    provisions = [p for p in answer.get("provisions") or [] if isinstance(p, Mapping)]
    wanted = provisions if shown.expanded else provisions[:PROVISIONS_SHOWN]
    # A divider before the provisions, and one block for "more" or "not shown".
    room = MESSAGE_BLOCKS - len(head) - len(tail) - 2
    listed = wanted[:max(room, 0)]
    middle: list[dict] = []
    if listed:
        middle.append(divider())
        middle += [_provision_block(n, p) for n, p in enumerate(listed, 1)]
    hidden = len(provisions) - len(listed)
    plural = "s" if hidden != 1 else ""
    if hidden and answer_id and not shown.expanded:
        middle.append(actions(shown.encode("more", answer_id),
                              button(f"Show {hidden} more provision{plural}", ACTION_MORE, answer_id)))
    elif hidden:
        middle.append(context(f"_{hidden} more provision{plural} not shown here: "
                              "`canipost check --json` on the command line lists them all._"))
    return fit(head + middle + tail)


def _answer_head(answer: Mapping[str, Any]) -> list[dict]:
    blocks = [section(f"{verdict_line(answer.get('verdict', ''))}\n{escape(answer.get('summary', ''))}")]
    mode = "Checked as a draft" if answer.get("mode") == "check" else "Answered as a question"
    capacity = answer.get("capacity") or "personal"
    said = "" if "capacity_matters" not in answer else " (assumed: you did not say)"
    profile = escape(answer.get("profile", ""))
    blocks.append(context(f"{mode} \u00b7 {escape(capacity)} capacity{said} \u00b7 profile `{profile}`"))
    contact = answer.get("contact") or {}
    if answer.get("escalate") and contact:
        blocks.append(section(f":speech_balloon: *Talk to {escape(contact.get('name', 'your ethics contact'))} "
                              f"about this.* {escape(contact.get('how', ''))}"))
    findings = [f for f in answer.get("findings") or [] if isinstance(f, Mapping)]
    if findings:
        blocks.append(section(_findings_text(findings, answer.get("mode"))))
    suggestion = answer.get("suggestion")
    if suggestion and suggestion.strip() and findings:
        blocks.append(section("*A safer draft*\n" + quote(suggestion, SUGGESTION_TEXT)))
    for precedent in (answer.get("precedents") or [])[:2]:
        ruling = precedent.get("ruling") if isinstance(precedent.get("ruling"), Mapping) else {}
        if precedent.get("followed") and ruling:
            what = "question" if ruling.get("mode") == "ask" else "post"
            heading = (f"*An ethics advisor ruled on a similar {what} on {escape(precedent.get('date', ''))}* "
                       f"({escape(precedent.get('ref', ''))}): {verdict_line(ruling.get('verdict', ''))}")
        else:
            heading = (f"*An ethics advisor answered a similar question on {escape(precedent.get('date', ''))}* "
                       f"({escape(precedent.get('ref', ''))}):")
        blocks.append(section(f":scales: {heading}\n" + quote(precedent.get("answer", ""), 2000)))
    notes = []
    period = answer.get("period")
    if isinstance(period, Mapping):
        notes.append(f":calendar: {escape(period.get('name', ''))} until {escape(period.get('until', ''))}: "
                     f"{escape(', '.join(period.get('topics') or []))} judged more strictly.")
    notes += [f"_Note: {escape(n)}_" for n in (answer.get("notes") or [])[:5]]
    if notes:
        blocks.append(context(*notes))
    return blocks


def _findings_text(findings: Sequence[Mapping[str, Any]], mode: str | None) -> str:
    title = "*Found in your draft*" if mode == "check" else "*Found in your question*"
    lines, used = [title], units(title) + 40
    for n, finding in enumerate(findings):
        label = finding.get("label") or str(finding.get("kind", "")).replace("-", " ")
        line = f"\u2022 {escape(label)}: \u201c{clip(escape(finding.get('text', '')), FINDING_TEXT)}\u201d"
        if used + units(line) + 1 > SECTION_TEXT:
            lines.append(f"\u2026and {len(findings) - n} more")
            break
        lines.append(line)
        used += units(line) + 1
    return "\n".join(lines)


def _provision_block(number: int, provision: Mapping[str, Any]) -> dict:
    effect = provision.get("effect")
    sign = f" {VERDICT_SIGNS[effect]}" if effect in VERDICT_SIGNS else ""
    top = f"*{number}. {escape(provision.get('title', ''))}*{sign}"
    where = f"_{escape(provision.get('source', ''))}, {escape(provision.get('citation', ''))}_"
    bottom = []
    if provision.get("exception"):
        bottom.append(clip(f"_Exception here: {escape(provision['exception'])}_", 600))
    if provision.get("url"):
        bottom.append(link(provision["url"], "Read the source"))
    lines = [clip(top, 400), clip(where, 600)]
    room = SECTION_TEXT - sum(units(line) + 1 for line in lines + bottom) - 1
    return section("\n".join([*lines, quote(provision.get("quote", ""), room), *bottom]))


def _answer_tail(answer: Mapping[str, Any], answer_id: str | None, shown: Shown) -> list[dict]:
    blocks = [divider()]
    contact = answer.get("contact") or {}
    notes = []
    if contact:
        notes.append(f"*Ethics advice:* {escape(contact.get('name', ''))}. {escape(contact.get('how', ''))}")
    if answer.get("notice"):
        notes.append(escape(answer["notice"]))
    if notes:
        blocks.append(context(*notes))
    if not answer_id:
        return blocks
    if answer.get("capacity_matters"):
        blocks.append(section("*Who would you be posting as?* The answer changes with it; so far it assumes "
                              "you post in a personal capacity. Choose, and I will update it."))
        blocks.append(actions(shown.encode("cap", answer_id), *(
            button(CAPACITY_LABELS[c], ACTION_CAPACITY_PREFIX + c, answer_id) for c in CAPACITIES)))
    elements = []
    if not shown.escalated:
        elements.append(button("Escalate to an ethics advisor", ACTION_ESCALATE, answer_id,
                               style="primary" if answer.get("escalate") else None))
    if not shown.feedback:
        elements.append(button(":thumbsup: Helpful", ACTION_FEEDBACK_PREFIX + "helpful", answer_id))
        elements.append(button(":thumbsdown: Not helpful", ACTION_FEEDBACK_PREFIX + "not_helpful", answer_id))
    said = []
    if shown.escalated:
        said.append(f":outbox_tray: Escalated as *{escape(shown.escalated)}*: an ethics advisor will answer "
                    "you in a direct message.")
    if shown.feedback:
        said.append("Thanks for the feedback" + (": glad it helped." if shown.feedback == "helpful" else
                                                  ": it helps us improve the answers."))
    if elements:
        blocks.append(actions(shown.encode("act", answer_id), *elements))
    if said:
        blocks.append(context(*said))
    return blocks


def message(text: str) -> tuple[str, list[dict]]:
    """A short message canipost writes itself (``text`` is mrkdwn, already escaped)."""
    return clip(text, FALLBACK_TEXT), [section(text)]


def input_problem(error: str) -> tuple[str, list[dict]]:
    return message(f":grey_question: Sorry, I cannot answer that: {escape(error)}.")


# -- help ---------------------------------------------------------------------------------

def help_text(command: str = "/canipost") -> str:
    return (
        "*Can I post this?* I answer from your code of conduct and social media policy, and cite the "
        "provisions I rely on.\n"
        f"\u2022 *Check a draft:* `{command} your draft post`: only you see the answer. Add `--official` or "
        "`--professional` before the draft if you post in that capacity.\n"
        f"\u2022 *A longer draft:* `{command}` on its own opens a box to paste it into.\n"
        "\u2022 *Ask a question:* send me a direct message, or mention me in a channel "
        "(`@canipost can I share my team's award on LinkedIn?`); I answer in a thread (mention me "
        "again there to ask a follow-up).\n"
        "\u2022 *Check any message:* its \u22ee menu, *More message shortcuts*, *Check before posting*.\n"
        "\u2022 *Hard cases:* the *Escalate to an ethics advisor* button sends it, with my answer, to the "
        "ethics advisors; they answer you in a direct message."
    )


def help_blocks(command: str = "/canipost") -> tuple[str, list[dict]]:
    return "How to use canipost", [section(help_text(command))]


# -- modals -------------------------------------------------------------------------------

def modal(title: str, blocks: list[dict], *, callback_id: str | None = None, submit: str | None = None,
          close: str = "Close", private_metadata: str | None = None) -> dict:
    view: dict[str, Any] = {"type": "modal", "title": plain(title, MODAL_TITLE), "close": plain(close, MODAL_BUTTON),
                            "blocks": fit(blocks, SURFACE_BLOCKS)}
    if callback_id:
        view["callback_id"] = callback_id
    if submit:
        view["submit"] = plain(submit, MODAL_BUTTON)
    if private_metadata is not None:
        if len(private_metadata) > PRIVATE_METADATA:
            raise ValueError("private_metadata over Slack's 3,000 characters")
        view["private_metadata"] = private_metadata
    return view


def metadata(**values: Any) -> str:
    """Compact JSON for a modal's private_metadata (what the submission needs to know)."""
    return json.dumps({k: v for k, v in values.items() if v is not None}, separators=(",", ":"))


def read_metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def info_modal(title: str, text: str) -> dict:
    """A modal that only tells something (``text`` is mrkdwn, already escaped)."""
    return modal(title, [section(text)])


def loading_modal(title: str = "canipost") -> dict:
    return info_modal(title, ":hourglass_flowing_sand: Just a moment\u2026")


def _text_input(block_id: str, label: str, *, optional: bool, placeholder: str = "", hint: str = "",
                multiline: bool = True) -> dict:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": VALUE, "multiline": multiline,
                               "max_length": INPUT_MAX}
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    block = {"type": "input", "block_id": block_id, "optional": optional, "label": plain(label, 2000),
             "element": element}
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def check_modal(private_metadata: str, capacity: str | None = None) -> dict:
    """``/canipost`` on its own: a box for a long draft, and who it would be posted as."""
    choices = [option("Personal: my own account, my own views", "personal"),
               option("Professional: as an expert in my field", "professional"),
               option("Official: for my agency", "official")]
    radio: dict[str, Any] = {"type": "radio_buttons", "action_id": VALUE, "options": choices}
    if capacity in CAPACITIES:
        radio["initial_option"] = next(c for c in choices if c["value"] == capacity)
    return modal("Check a draft", [
        _text_input(INPUT_DRAFT, "Your draft post", optional=False,
                    placeholder="Paste the post you are thinking of publishing"),
        {"type": "input", "block_id": INPUT_CAPACITY, "optional": True, "label": plain("Posting as", 200),
         "element": radio,
         "hint": plain("Leave it empty if you are not sure: the answer says whether it matters.", 2000)},
    ], callback_id=VIEW_CHECK, submit="Check", close="Cancel", private_metadata=private_metadata)


def escalate_modal(text: str, answer: Mapping[str, Any], private_metadata: str) -> dict:
    """What the asker sends the ethics advisors: the answer's text, plus what they add."""
    what = "draft" if answer.get("mode") == "check" else "question"
    blocks = [
        section(f"Your {what} goes to the ethics advisors with canipost's answer "
                f"({verdict_line(answer.get('verdict', ''))}). They will answer you in a direct message."),
        section(f"*Your {what}*\n" + quote(text, 2500)),
        _text_input(INPUT_PLAN, "What you plan to post, if it is not the text above", optional=True),
        _text_input(INPUT_CONTEXT, "Anything the advisor should know", optional=True,
                    placeholder="Where it would be posted, when, what has happened already\u2026"),
        {"type": "input", "block_id": INPUT_URGENCY, "optional": False, "label": plain("How urgent is it?", 200),
         "element": {"type": "static_select", "action_id": VALUE,
                     "options": [option(URGENCY_LABELS[u] + hint, u) for u, hint in (
                         ("low", ": no deadline"), ("normal", ": this week"), ("high", ": in the next day"),
                         ("urgent", ": already posted, or within hours"))],
                     "initial_option": option("Normal: this week", "normal")}},
    ]
    if any(f.get("kind") in CONTACT_KINDS for f in answer.get("findings") or [] if isinstance(f, Mapping)):
        blocks.append({"type": "input", "block_id": INPUT_KEEP_DETAILS, "optional": True,
                       "label": plain("Contact details", 200),
                       "element": {"type": "checkboxes", "action_id": VALUE, "options": [
                           option("Keep the emails and phone numbers in my text", "keep")]},
                       "hint": plain("Otherwise they are masked before the case is stored.", 2000)})
    return modal("Escalate", blocks, callback_id=VIEW_ESCALATE, submit="Send", close="Cancel",
                 private_metadata=private_metadata)


def escalated_text(ref: str, announced: bool) -> str:
    where = "The ethics advisors have been told." if announced else "The ethics advisors will see it in their queue."
    return (f":outbox_tray: Sent as *{escape(ref)}*. {where} You will get their answer in a direct message; "
            "the Home tab of canipost shows where it stands.")


def escalated_modal(ref: str, announced: bool) -> dict:
    return info_modal("Escalated", escalated_text(ref, announced))


def resolve_modal(case: Any, private_metadata: str,
                  provisions: Sequence[tuple[str, Sequence[tuple[str, str]]]] = ()) -> dict:
    """The advisor's answer to the asker and their ruling on the text, prefilled with canipost's own
    answer (agreeing is one click). ``provisions``: the profile's, grouped by source document, as
    (document, [(id, title)]), to name the ones that decide it."""
    blocks = _case_summary(case, text_limit=2000) + [
        _text_input(INPUT_ANSWER, "Your answer to the asker", optional=False,
                    hint="Sent to them in a direct message, and kept with the case."),
        *_ruling_inputs(case, provisions),
        {"type": "input", "block_id": INPUT_PRECEDENT, "optional": True, "label": plain("Precedent", 200),
         "element": {"type": "checkboxes", "action_id": VALUE, "options": [
             option("Share this answer with people who ask something similar", "yes")]},
         "hint": plain("The question is shown without names, emails or phone numbers.", 2000)},
        {"type": "input", "block_id": INPUT_LEARN, "optional": False,
         "label": plain("Use this to improve answers", 200),
         "element": {"type": "radio_buttons", "action_id": VALUE, "options": _LEARN_OPTIONS,
                     "initial_option": _LEARN_OPTIONS[0]},
         "hint": plain("The text, de-identified (or as you word it below), becomes one of the agency's own examples "
                       "at the next retrain.", 2000)},
        _text_input(INPUT_WORDING, "The text as others may see it (optional)", optional=True,
                    hint="For the precedent and the example. Otherwise names, emails and phone numbers are taken "
                         "out for you."),
    ]
    return modal(f"Resolve {case.ref}", blocks, callback_id=VIEW_RESOLVE, submit="Resolve", close="Cancel",
                 private_metadata=private_metadata)


_LEARN_OPTIONS = [option("If I share it as a precedent", "precedent"), option("Yes", "yes"), option("No", "no")]


def _select(block_id: str, label: str, options: list[dict], initial: list[dict], *, multi: bool = False,
            optional: bool = False, hint: str = "", groups: list[dict] | None = None, most: int | None = None) -> dict:
    element: dict[str, Any] = {"type": "multi_static_select" if multi else "static_select", "action_id": VALUE,
                               "placeholder": plain("Choose…", 150)}
    if groups is not None:
        element["option_groups"] = groups
    else:
        element["options"] = options
    if initial:
        element["initial_options" if multi else "initial_option"] = initial if multi else initial[0]
    if most:
        element["max_selected_items"] = most
    block = {"type": "input", "block_id": block_id, "optional": optional, "label": plain(label, 2000),
             "element": element}
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _ruling_inputs(case: Any, provisions: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> list[dict]:
    verdicts = [option(RULING_LABELS[v], v) for v in VERDICTS]
    capacities = [option(CAPACITY_LABELS[c], c) for c in CAPACITIES]
    topics = [option(f"{t}: {about}", t) for t, about in TOPICS.items()]
    said = getattr(case, "verdict", None)
    capacity = getattr(case, "capacity", None) or "personal"
    cited = list(getattr(case, "topics", None) or [])[:3]
    inputs = [
        _select(INPUT_RULING_VERDICT, "Your ruling on this text", verdicts, [o for o in verdicts if o["value"] == said],
                hint="Prefilled with canipost's answer: leave it if you agree."),
        _select(INPUT_RULING_CAPACITY, "For posting as", capacities, [o for o in capacities if o["value"] == capacity]),
        _select(INPUT_RULING_TOPICS, "Topics it engages (main first)", topics,
                [o for t in cited for o in topics if o["value"] == t], multi=True, optional=True, most=3,
                hint="At most three. A ruling above OK names at least one."),
    ]
    groups = [{"label": plain(document, OPTION_TEXT), "options": [option(title, pid) for pid, title in listed][:100]}
              for document, listed in provisions if listed][:100]
    if groups:
        inputs.append(_select(INPUT_RULING_PROVISIONS, "Provisions that decide it (optional)", [], [], multi=True,
                              optional=True, groups=groups))
    return inputs


def ruling_problem(view: Mapping[str, Any]) -> tuple[str, str] | None:
    """(block id, what is wrong) when a submitted resolve form holds a ruling no example could carry."""
    verdict = submitted(view, INPUT_RULING_VERDICT)
    topics = submitted(view, INPUT_RULING_TOPICS) or []
    if verdict and verdict != "ok" and not topics:
        return INPUT_RULING_TOPICS, "Name the topic (or topics) this ruling engages."
    if len(topics) > 3:
        return INPUT_RULING_TOPICS, "At most three topics, the main one first."
    return None


def resolved_modal(case: Any) -> dict:
    return info_modal("Resolved", f":white_check_mark: *{escape(case.ref)}* is resolved. The asker has been sent "
                                  "your answer" + (", and it is shared as a precedent." if case.precedent else "."))


# -- escalations --------------------------------------------------------------------------

def _who(user_id: str | None, name: str | None) -> str:
    """A person named without pinging them (the advisors' channel is not theirs)."""
    if name:
        return f"{escape(from_asker(name))} (`{escape(from_asker(user_id or ''))}`)"
    return f"`{escape(from_asker(user_id or 'unknown'))}`"


def _case_summary(case: Any, text_limit: int = 1500) -> list[dict]:
    verdict = verdict_line(case.verdict) if case.verdict else "_no answer_"
    blocks = [fields_section([
        ("From", _who(case.asker_id, case.asker_name)),
        ("Urgency", URGENCY_LABELS.get(case.urgency, escape(from_asker(case.urgency)))),
        ("canipost said", verdict),
        ("Asked as", f"{escape(case.mode or 'question')}, {escape(case.capacity or 'personal')} capacity"),
    ])]
    if case.text is None:
        blocks.append(context("_The text was removed under the retention policy._"))
    else:
        blocks.append(section("*Text*" + (" _(contact details masked)_" if case.personal_details == "masked" else "")
                              + "\n" + quote(from_asker(case.text), text_limit)))
    if case.context:
        blocks.append(section("*Context*\n" + quote(from_asker(case.context), 1500)))
    if case.summary:
        # The summary quotes the asker's words.
        blocks.append(context(f"canipost's answer: {escape(from_asker(case.summary))}"))
    return blocks


def escalation_notice(case: Any) -> tuple[str, list[dict]]:
    """The advisors' channel message for one case, as the case now stands."""
    sign = STATUS_SIGNS.get(case.status, "")
    blocks = [header(f"Escalation {case.ref}"), *_case_summary(case)]
    if case.provisions:
        titles = "; ".join(escape(p.get("title") or p.get("id") or "") for p in case.provisions[:5])
        blocks.append(context(f"Provisions cited: {titles}"))
    if case.status == "resolved":
        blocks.append(section(f"{sign} *Resolved* by {_who(case.assignee_id, case.assignee_name)} "
                              f"{slack_date(case.resolved_at)}\n" + quote(case.resolution or "", 1500)))
        if getattr(case, "ruling", None):
            blocks.append(context(ruling_text(case.ruling)))
    elif case.status == "claimed":
        blocks.append(section(f"{sign} *Claimed* by {_who(case.assignee_id, case.assignee_name)} "
                              f"{slack_date(case.claimed_at)}"))
    else:
        state = "Reopened" if case.status == "reopened" else "Open"
        blocks.append(section(f"{sign} *{state}*: waiting for an advisor"))
    buttons = []
    if case.status in ("open", "reopened"):
        buttons.append(button("Claim", ACTION_CLAIM, case.ref, style="primary"))
    if case.status != "resolved":
        buttons.append(button("Resolve", ACTION_RESOLVE, case.ref))
    if buttons:
        blocks.append(actions(f"case|{case.ref}", *buttons))
    text = f"Escalation {case.ref} ({case.status}, urgency {case.urgency})"
    return text, fit(blocks)


def resolution_message(case: Any) -> tuple[str, list[dict]]:
    """The direct message that brings the asker the advisor's answer."""
    # The asker's own DM: a mention here notifies no one else, and lets them reach the advisor.
    if is_slack_user(case.assignee_id):
        advisor = f"<@{case.assignee_id}>"
    else:
        advisor = escape(case.assignee_name or "an advisor")
    blocks = [
        section(f":white_check_mark: *{escape(case.ref)}: an ethics advisor has answered.*\n"
                f"{advisor} wrote:\n" + quote(case.resolution or "", 2500)),
    ]
    if getattr(case, "ruling", None):
        ruling = case.ruling
        blocks.append(section(f"*The advisor's ruling:* {verdict_line(ruling['verdict'])} for posting in a "
                              f"{escape(ruling['capacity'])} capacity."))
    if case.text:
        blocks.append(context("Your " + ("draft" if case.mode == "check" else "question") + ": "
                              + clip(escape(case.text), 600)))
    return clip(f"{case.ref}: an ethics advisor has answered: {escape(case.resolution or '')}", FALLBACK_TEXT), blocks


def ruling_text(ruling: Mapping[str, Any]) -> str:
    """The advisor's ruling in one line, beside canipost's verdict."""
    said = ruling.get("agreement")
    line = f"Ruling: {verdict_line(ruling.get('verdict', ''))} ({escape(ruling.get('capacity', ''))})"
    if said:
        line += f" \u00b7 canipost said {escape(ruling.get('canipost_verdict', ''))}: *{escape(said)}*"
    if ruling.get("learn"):
        line += " \u00b7 used to improve answers"
    return line


def is_slack_user(user_id: str | None) -> bool:
    return bool(user_id) and re.fullmatch(r"[UW][A-Z0-9]{2,}", user_id) is not None


# -- App Home -----------------------------------------------------------------------------

def home_view(own: Iterable[Any], *, profile: str, queue: Sequence[Any] | None = None,
              mine: Sequence[Any] | None = None, queue_total: int | None = None,
              agreement: Mapping[str, Any] | None = None) -> dict:
    """The Home tab: how to use canipost, the person's own cases and, for advisors, the queue and
    how often canipost agrees with their rulings (``agreement``: :func:`canipost.store.reports.agreement`)."""
    blocks = [header("Can I post this?"), section(help_text()),
              context(f"Answers follow the `{escape(profile)}` profile. They are guidance, not a ruling: "
                      "for a ruling, escalate to an ethics advisor."),
              divider(), header("Your escalations")]
    own = list(own)
    for case in own:
        lines = [f"{STATUS_SIGNS.get(case.status, '')} *{escape(case.ref)}* \u00b7 {escape(case.status)} \u00b7 "
                 f"{slack_date(case.created_at)}"]
        if case.text:
            lines.append(quote(case.text, 300))
        if case.status == "resolved" and case.resolution:
            lines.append(f"*Answer from {escape(case.assignee_name or 'the advisor')}:* "
                         + clip(escape(case.resolution), 1500))
        blocks.append(section("\n".join(lines)))
    if not own:
        blocks.append(context("Nothing escalated yet. When an answer is not enough, its *Escalate to an ethics "
                              "advisor* button sends it here, and you can follow it from this tab."))
    if queue is not None:
        blocks += [divider(), header("Ethics advisors: the queue")]
        waiting = queue_total if queue_total is not None else len(queue)
        blocks.append(context(f"{waiting} waiting for an advisor \u00b7 {len(mine or [])} claimed by you. "
                              "Oldest first. `canipost escalations list` shows every case."))
        items = list(mine or []) + [c for c in queue if c.ref not in {m.ref for m in mine or []}]
        figures = agreement_blocks(agreement) if agreement is not None else []
        # Two blocks a case, and one to say how many more: within Slack's 100 for the whole tab.
        room = (SURFACE_BLOCKS - len(blocks) - len(figures) - 1) // 2
        for case in items[:room]:
            blocks += _queue_item(case)
        if len(items) > room:
            blocks.append(context(f"_{len(items) - room} more not shown: `canipost escalations list --status open`._"))
        blocks += figures
    return {"type": "home", "blocks": fit(blocks, SURFACE_BLOCKS)}


AGREEMENT_MONTHS = 6  # rows of profile and month shown
AGREEMENT_CASES = 8  # disagreements listed


def agreement_blocks(report: Mapping[str, Any]) -> list[dict]:
    """How often canipost's verdicts agreed with the advisors' rulings, by profile and month (newest
    first), and the latest cases where it did not, under-calls first."""
    blocks = [divider(), header("Ethics advisors: canipost against your rulings")]
    if not report.get("rulings"):
        return blocks + [context("No rulings yet. Each case you resolve records your ruling beside canipost's "
                                 "verdict; the figures appear here.")]
    lines = []
    for group in list(report.get("by_profile_month") or [])[:AGREEMENT_MONTHS]:
        lines.append(f"`{escape(group['profile'])}` {escape(group['month'])}: {group['rulings']} ruling(s), "
                     f"{group['agreed']} agreed, *{group['under_called']} under-called*, "
                     f"{group['over_called']} over-called")
    blocks.append(section("\n".join(lines)))
    missed = [(key, case) for group in report.get("by_profile_month") or []
              for key in ("under_called", "over_called") for case in group["cases"][key]]
    missed.sort(key=lambda item: (item[1]["ruled_on"], item[1]["ref"]), reverse=True)  # newest first...
    missed.sort(key=lambda item: item[0] != "under_called")  # ...under-calls (the dangerous ones) before
    if missed:
        blocks.append(section("*Where canipost was wrong*\n" + "\n".join(
            f"\u2022 *{escape(case['ref'])}* {escape(case['ruled_on'])}: {AGREEMENT_LABELS[key]}, canipost said "
            f"{escape(case['canipost'])}, ruled {escape(case['ruling'])} ({escape(case['capacity'])})"
            for key, case in missed[:AGREEMENT_CASES])))
    blocks.append(context(f"{report['rulings']} ruling(s) in all, {report['agreed']} agreed. "
                          "`canipost escalations agreement` has every case."))
    return blocks


def _queue_item(case: Any) -> list[dict]:
    state = "claimed by you" if case.status == "claimed" else case.status
    lines = [f"{STATUS_SIGNS.get(case.status, '')} *{escape(case.ref)}* \u00b7 {escape(state)} \u00b7 "
             f"urgency {URGENCY_LABELS.get(case.urgency, escape(case.urgency))} \u00b7 {slack_date(case.created_at)}",
             f"From {_who(case.asker_id, case.asker_name)}"
             + (f" \u00b7 canipost said {verdict_line(case.verdict)}" if case.verdict else "")]
    if case.text:
        lines.append(quote(from_asker(case.text), 400))
    buttons = []
    if case.status in ("open", "reopened"):
        buttons.append(button("Claim", ACTION_CLAIM, case.ref, style="primary"))
    buttons.append(button("Resolve", ACTION_RESOLVE, case.ref))
    return [section("\n".join(lines)), actions(f"case|{case.ref}", *buttons)]


# -- reading submitted modals -------------------------------------------------------------

def submitted(view: Mapping[str, Any], block_id: str) -> Any:
    """The value of one input of a submitted modal: text, the chosen option's value, or the
    list of ticked checkbox values (None when empty)."""
    state = ((view.get("state") or {}).get("values") or {}).get(block_id) or {}
    element = state.get(VALUE) or {}
    if element.get("type") in ("checkboxes", "multi_static_select"):
        return [o.get("value") for o in element.get("selected_options") or []]
    if "selected_option" in element:
        return (element.get("selected_option") or {}).get("value")
    value = element.get("value")
    return value if value is None or value.strip() else None
