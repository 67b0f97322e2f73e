"""From matches and findings to engaged provisions and a verdict.

A provision is *engaged* in one of five ways, each with a ceiling on what it may decide:

- ``finding``: a detector found something in the text that the provision's topics cover; the
  finding's own effect for the capacity is the ceiling (a petition is not a party endorsement),
  unless the provision names that kind of finding, when it decides fully;
- ``pattern``: one of its pattern triggers matched; the provision decides fully;
- ``match``: its phrases matched strongly; it decides fully for a question, and at most
  ``caution`` for a draft (drafts are judged by what they contain, which is the detectors' job);
- ``always``: a baseline duty for every draft in the capacities it names (and every question about
  posting, that is, every question but one about what to do after something happened);
- ``reminder``: a weaker match, cited for the reader's information, deciding nothing.

The verdict is the most severe *contribution*: the provision's effect for the capacity, kept
under its ceiling, made stricter by an active dated period on its topics.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..contract import least_severe, most_severe, severity
from ..kb import Period, Profile, Provision
from .detectors import Finding
from .matcher import Index, Match

STRONG = 0.60  # a phrase match at least this good engages the provision
CITE = 0.40  # a weaker one down to this is cited as a reminder
MAX_CITED = 6
PER_TOPIC = 1  # provisions engaged for each topic of a finding


@dataclass
class Engagement:
    provision: Provision
    via: str
    ceiling: str
    score: float
    findings: list[Finding] = field(default_factory=list)
    period: Period | None = None

    def contribution(self, capacity: str) -> str:
        """The verdict this engagement stands for."""
        effect = self.provision.effect_for(capacity) or "ok"
        verdict = "ok" if self.via == "reminder" else least_severe(effect, self.ceiling)
        return self.period.stricter(verdict) if self.period else verdict


_VIA_RANK = {"finding": 0, "pattern": 1, "always": 2, "match": 3, "reminder": 4}


def engage(index: Index, capacity: str, mode: str, matches: list[Match], findings: list[Finding],
           posting: bool, profile: Profile, today: dt.date) -> list[Engagement]:
    """The provisions of ``index`` (one profile's) engaged by a text, most decisive first."""
    applicable_ids = index.applicable_ids[capacity]
    by_topic = index.by_topic[capacity]
    relevance = {m.provision.id: m.score for m in matches}
    engaged: dict[str, Engagement] = {}

    def add(provision: Provision, via: str, ceiling: str, score: float, finding: Finding | None = None) -> None:
        current = engaged.get(provision.id)
        if current is None:
            engaged[provision.id] = current = Engagement(provision, via, ceiling, score)
        elif (severity(ceiling), -_VIA_RANK[via]) > (severity(current.ceiling), -_VIA_RANK[current.via]):
            current.via, current.ceiling = via, ceiling
        current.score = max(current.score, score)
        # One finding engages a provision in consecutive calls, so if it is already there it is the
        # last one (searching the whole list would be quadratic in a text with thousands of findings).
        if finding is not None and (not current.findings or current.findings[-1] is not finding):
            current.findings.append(finding)

    for finding in findings:
        # A provision that names this kind of finding is engaged at its own full strength: its
        # source is stricter about it than the detector's general ceiling.
        for provision in index.by_finding[capacity].get(finding.kind, ()):
            add(provision, "finding", provision.effect_for(capacity) or "ok", max(relevance.get(provision.id, 0.0), 0.5),
                finding)
        ceiling = finding.spec.effects[capacity]
        for topic in finding.spec.topics:
            for provision in _best_for_topic(by_topic.get(topic, []), topic, ceiling, capacity, relevance)[:PER_TOPIC]:
                add(provision, "finding", ceiling, max(relevance.get(provision.id, 0.0), 0.5), finding)

    for m in matches:
        if m.provision.id not in applicable_ids:
            continue
        effect = m.provision.effect_for(capacity) or "ok"
        if m.pattern:
            add(m.provision, "pattern", effect, m.score)
        elif m.score >= STRONG:
            add(m.provision, "match", effect if mode == "ask" else least_severe(effect, "caution"), m.score)
        elif m.score >= CITE:
            add(m.provision, "reminder", "ok", m.score)

    if mode == "check" or posting:
        for provision in index.always[capacity]:
            add(provision, "always", provision.effect_for(capacity) or "ok", relevance.get(provision.id, 0.0))

    periods = profile.active_periods(today)
    for engagement in engaged.values():
        if engagement.via == "reminder":
            continue
        engagement.period = next((p for p in periods if set(p.topics) & set(engagement.provision.topics)), None)

    ordered = sorted(engaged.values(), key=lambda e: (
        -severity(e.contribution(capacity)), _VIA_RANK[e.via], -e.score, e.provision.id))
    return ordered[:MAX_CITED]


def _best_for_topic(candidates: list[Provision], topic: str, ceiling: str, capacity: str,
                    relevance: dict[str, float]) -> list[Provision]:
    """Provisions on ``topic``, those able to carry the finding's verdict first, then the most relevant."""

    def key(p: Provision):
        carries = severity(p.effect_for(capacity) or "ok") >= severity(ceiling)
        return (not carries, p.topics[0] != topic, p.kind != "rule", -relevance.get(p.id, 0.0), p.id)

    return sorted(candidates, key=key)


def decide(engagements: list[Engagement], capacity: str) -> str:
    return most_severe(*(e.contribution(capacity) for e in engagements))
