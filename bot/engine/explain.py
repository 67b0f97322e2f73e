"""Words for an answer: the one- or two-sentence summary, the notice, the safer draft."""

from __future__ import annotations

import re

from ..kb import Profile
from .detectors import Finding
from .verdict import Engagement

LEADS = {
    "ok": "This looks fine to post",
    "caution": "You can post this, with care",
    "needs-approval": "Get approval before posting this",
    "do-not-post": "Don't post this",
}
ASK_LEADS = {
    "ok": "Yes, that looks fine",
    "caution": "Yes, with care",
    "needs-approval": "Only with approval first",
    "do-not-post": "No, don't",
}


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def what_it_is(finding: Finding) -> str:
    """What a finding says of the text, to follow "it": "contains a security marking", "reads as ..."."""
    label = finding.spec.label
    return label if finding.kind == "judgement" else f"contains {label}"


def summarise(verdict: str, mode: str, engagements: list[Engagement], capacity: str, profile: Profile,
              matched: bool, uncovered: list[Finding] = ()) -> str:
    """One or two plain sentences: the verdict with its main reason, then what to do."""
    decisive = [e for e in engagements if e.contribution(capacity) == verdict and e.via != "reminder"]
    lead = (ASK_LEADS if mode == "ask" else LEADS)[verdict]
    if uncovered and not decisive:
        finding = uncovered[0]
        advice = f" {_sentence(finding.spec.advice)}" if finding.spec.advice else ""
        return (f"{lead}: it {what_it_is(finding)} (\u201c{_clip(finding.text)}\u201d), which the "
                f"{profile.name} provisions do not cover for {capacity} posts, so ask {profile.contact.name} first."
                f"{advice}")
    if not matched and mode == "ask":
        return (f"No provision in the {profile.name} knowledge base speaks to this directly, so canipost "
                f"can't answer it for sure: nothing in them stands against it, but if in doubt, ask "
                f"{profile.contact.name}.")
    if verdict == "ok" or not decisive:
        reminder = next((e for e in engagements if e.provision.advice), None)
        tail = f" Keep in mind: {_lower_first(_sentence(reminder.provision.advice))}" if reminder else ""
        return f"{lead}: nothing in the provisions stands against it.{tail}"
    top = decisive[0]
    finding = top.findings[0] if top.findings else None
    if finding is not None:
        reason = f"it {what_it_is(finding)} (\u201c{_clip(finding.text)}\u201d)"
        fix = finding.spec.advice or top.provision.advice or ""
    else:
        reason = _lower_first(top.provision.title)
        fix = top.provision.advice or ""
    if verdict == "needs-approval":
        approver = profile.approver().name
        fix = f"{fix} Ask {approver} first." if fix and approver.lower() not in fix.lower() else (fix or f"Ask {approver} first.")
    first = f"{lead}: {reason}."
    return f"{first} {_sentence(fix)}" if fix else first


def notice(profile: Profile) -> str:
    """What every answer says about itself."""
    return (f"This is guidance from the provisions cited, not a ruling. For a ruling, ask "
            f"{profile.contact.name}.")


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


MASKS = {"email": "[email removed]", "phone": "[phone number removed]"}


def safer_draft(text: str, findings: list[Finding]) -> str | None:
    """``text`` with every mechanically fixable finding removed or masked; None if there are none."""
    fixable = sorted((f for f in findings if f.spec.fix), key=lambda f: f.start, reverse=True)
    if not fixable:
        return None
    # Pieces from the end backwards, joined once: splicing the whole text for every finding is
    # quadratic in a text with thousands of them.
    pieces = []
    last_start = len(text)
    for finding in fixable:
        if finding.end > last_start:
            continue  # overlaps a span already fixed
        # A marker, not a gap: cutting words out mid-sentence leaves "on the, email me".
        replacement = MASKS.get(finding.kind, "[removed]") if finding.spec.fix == "mask" else "[removed]"
        pieces += [text[finding.end:last_start], replacement]
        last_start = finding.start
    out = text[:last_start] + "".join(reversed(pieces))
    out = re.sub(r"[ \t]{2,}", " ", out)
    out = re.sub(r"\s+([,.;:!?])", r"\1", out)
    out = re.sub(r"\(\s*\)", "", out)
    return out.strip()
