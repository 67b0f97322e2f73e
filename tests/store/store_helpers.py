"""What the store tests share: the people acting, answers as the engine gives them, a hand-moved clock."""

from __future__ import annotations

import datetime as dt

from canipost.store import Actor

ASKER = Actor("U100", "Sam Asker")
OTHER = Actor("U200", "Olive Other")
ADVISOR = Actor("U900", "Alex Advisor", is_advisor=True)
ADVISOR_2 = Actor("U901", "Bo Advisor", is_advisor=True)


def make_answer(verdict: str = "caution", findings=(), provisions=None, profile: str = "au-aps") -> dict:
    """An answer in the contract's JSON shape, as the engine would give it."""
    if provisions is None:
        provisions = [
            {"id": "au-aps.privacy.personal-information", "title": "Personal information", "topics": ["privacy"],
             "effect": "caution", "score": 0.8},
            {"id": "au-aps.public-comment.respect", "title": "Respect", "topics": ["respect", "privacy"],
             "effect": "ok", "score": 0.5},
        ]
    return {
        "verdict": verdict, "escalate": True, "summary": "Take care: it names a member of the public.",
        "profile": profile, "capacity": "personal", "mode": "check", "provisions": list(provisions),
        "findings": list(findings), "contact": {"name": "Ethics Advisory Service", "how": "ethics@example.gov"},
    }


def finding(text: str, kind: str, value: str) -> dict:
    start = text.index(value)
    return {"kind": kind, "text": value, "start": start, "end": start + len(value)}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.timezone.utc)):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


def actions(store, ref) -> list[str]:
    return [entry.action for entry in store.escalations.audit(ref)]
