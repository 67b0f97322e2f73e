"""The answer: what the engine says, in the contract's JSON shape and as text for people."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

from ..kb import Contact, Period, Profile, Provision
from .detectors import Finding

VERDICT_LABELS = {
    "ok": "OK TO POST",
    "caution": "POST WITH CARE",
    "needs-approval": "NEEDS APPROVAL FIRST",
    "do-not-post": "DO NOT POST",
}


@dataclass
class CitedProvision:
    """A provision as cited in one answer: with how well it matched and what it decided."""

    provision: Provision
    score: float
    contribution: str
    via: str
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        p = self.provision
        data: dict[str, Any] = {
            "id": p.id,
            "title": p.title,
            "jurisdiction": p.jurisdiction,
            "source": p.source.cite(),
            "citation": p.citation,
            "quote": p.quote,
            "topics": list(p.topics),
            "score": round(min(self.score, 1.0), 2),
            "kind": p.kind,
            "summary": p.summary,
            "effect": self.contribution,
            "engaged_by": self.via,
        }
        if p.advice:
            data["advice"] = p.advice
        if p.url:
            data["url"] = p.url
        if p.override:
            data["exception"] = p.override.reason
        return data


@dataclass
class Precedent:
    """An earlier question an ethics advisor answered, found similar to this one."""

    ref: str
    date: str
    question: str
    answer: str
    score: float
    ruling: dict[str, Any] | None = None  # the advisor's ruling on it: verdict, capacity, topics, provisions
    followed: bool = False  # this answer follows that ruling (see .rulings)

    def to_dict(self) -> dict[str, Any]:
        data = {"ref": self.ref, "date": self.date, "question": self.question, "answer": self.answer,
                "score": round(self.score, 2)}
        if self.ruling is not None:
            data["ruling"] = dict(self.ruling)
        if self.followed:
            data["followed"] = True
        return data

    @property
    def heading(self) -> str:
        """How an answer introduces it."""
        if self.followed:
            what = "question" if (self.ruling or {}).get("mode") == "ask" else "post"
            return f"An ethics advisor ruled on a similar {what} on {self.date}"
        return f"An ethics advisor answered a similar question on {self.date}"


@dataclass
class Answer:
    """One answer to one question or draft."""

    verdict: str
    escalate: bool
    summary: str
    profile: Profile
    capacity: str
    mode: str
    text: str
    provisions: list[CitedProvision]
    findings: list[Finding]
    contact: Contact
    notice: str
    matched: bool
    suggestion: str | None = None
    period: Period | None = None
    notes: list[str] = field(default_factory=list)
    capacity_given: bool = True
    capacity_matters: bool = False
    precedents: list[Precedent] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON answer of the contract (``shared/contract.md``), plus a few documented extras."""
        data: dict[str, Any] = {
            "verdict": self.verdict,
            "escalate": self.escalate,
            "summary": self.summary,
            "profile": self.profile.id,
            "capacity": self.capacity,
            "provisions": [c.to_dict() for c in self.provisions],
            "findings": [f.to_dict() for f in self.findings],
            "contact": self.contact.to_dict(),
            "mode": self.mode,
            "matched": self.matched,
            "notice": self.notice,
        }
        if self.suggestion is not None:
            data["suggestion"] = self.suggestion
        if self.period is not None:
            data["period"] = {"name": self.period.name, "until": self.period.end.isoformat(),
                              "topics": list(self.period.topics)}
        if self.precedents:
            data["precedents"] = [p.to_dict() for p in self.precedents]
        if self.notes:
            data["notes"] = list(self.notes)
        if not self.capacity_given:
            data["capacity_matters"] = self.capacity_matters
        return data

    def render_text(self, width: int = 88) -> str:
        """The answer as a person reads it in a terminal."""
        wrap = lambda s, indent="": textwrap.fill(s, width, initial_indent=indent, subsequent_indent=indent)  # noqa: E731
        lines = [f"{VERDICT_LABELS[self.verdict]}  ({self.profile.id}, {self.capacity})", wrap(self.summary)]
        if self.escalate:
            lines.append(wrap(f"Talk to {self.contact.name} about this: {self.contact.how}"))
        if self.findings:
            lines += ["", "Found in the text:"]
            lines += [f"  - {f.spec.label}: \u201c{f.text}\u201d" for f in self.findings]
        if self.suggestion is not None:
            lines += ["", "A safer draft:", wrap(self.suggestion, "  ")]
        if self.period is not None:
            lines += ["", wrap(f"{self.period.name} until {self.period.end:%d %B %Y}: "
                               f"{', '.join(self.period.topics)} judged more strictly.")]
        for precedent in self.precedents:
            ruled = f": {VERDICT_LABELS[precedent.ruling['verdict']]}" if precedent.followed else ""
            lines += ["", wrap(f"{precedent.heading} ({precedent.ref}){ruled}:"),
                      wrap(f"\u201c{precedent.answer}\u201d", "  ")]
        if self.provisions:
            lines += ["", "Provisions:"]
            for n, cited in enumerate(self.provisions, 1):
                p = cited.provision
                lines.append(wrap(f"{n}. {p.title} [{cited.contribution}]", "  "))
                lines.append(wrap(f"{p.source.cite()}, {p.citation}", "     "))
                lines.append(wrap(f"\u201c{p.quote}\u201d", "     "))
                if p.override:
                    lines.append(wrap(f"Exception in {self.profile.id}: {p.override.reason}", "     "))
        for note in self.notes:
            lines += ["", wrap(f"Note: {note}")]
        lines += ["", wrap(self.notice)]
        return "\n".join(lines)
