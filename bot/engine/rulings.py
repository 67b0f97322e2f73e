"""Consistency with the advisors: an answer to a text close to a ruled precedent follows the ruling.

An ethics advisor resolving a case records a ruling (the verdict for that text and capacity, its
topics, the provisions that decide it). When the case is shared as a precedent and a later text
is close to it, written in the same capacity, and the engine would say something else, the answer
takes the ruling's verdict, cites the provisions the advisor named first (where they named none,
the provision of the profile on the ruled topics that goes furthest towards the verdict), and
cites the precedent: "an ethics advisor ruled on a similar post on DATE".

What "close" means: the two texts share at least three meaningful words, and the words they share
make up, on average, at least :data:`RAISE_CLOSE` of each one's words, counted after the analyzer
folds case, accents, endings and synonyms (tweet and post, pic and photo) and drops stop words, as
everywhere canipost matches text (:meth:`PrecedentIndex.scored`). A paraphrase of a case keeps its
substance words and passes; a text on the same topic about something else does not (a different
post about the same minister shares two or three words of ten). A ruling more lenient than the
engine is followed only from :data:`LOWER_CLOSE`, and never below what the rules see for certain
in the new text (security markings, contact details, dated periods, baseline duties): a close
text can still hold what the ruled one did not, and wrongly lowering a verdict is the dangerous
mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..contract import most_severe, severity
from ..kb import Profile, Provision
from .answer import Precedent
from .explain import ASK_LEADS, LEADS, _sentence
from .matcher import Index
from .precedents import as_precedent
from .verdict import MAX_CITED, Engagement

CERTAIN_VIA = ("always",)  # a baseline duty of the profile
RAISE_CLOSE = 0.60  # a stricter ruling is followed from this closeness
LOWER_CLOSE = 0.75  # a more lenient one only from this


def decided_for_certain(engagement: Engagement) -> bool:
    """Whether the rules see this for certain: a baseline duty, a dated period, or only findings of
    detectors marked ``exact`` (a security marking, contact details)."""
    if engagement.via in CERTAIN_VIA or engagement.period is not None:
        return True
    return bool(engagement.findings) and all(f.spec.exact for f in engagement.findings)


@dataclass
class RulingEngagement(Engagement):
    """A provision cited because an advisor ruled on a close text: it stands for the ruled verdict."""

    ruled: str = "ok"

    def contribution(self, capacity: str) -> str:
        return self.ruled


@dataclass
class Followed:
    """What a ruling did to an answer: the verdict and provisions now, and the precedent to cite."""

    precedent: Precedent
    verdict: str
    engagements: list[Engagement]
    applied: bool = True  # False: the rules saw something for certain that keeps the verdict above it
    notes: list[str] = field(default_factory=list)

    def summary(self, mode: str, profile: Profile) -> str:
        """The answer's first sentences: the verdict, because an advisor ruled so, and what to do."""
        lead = (ASK_LEADS if mode == "ask" else LEADS)[self.verdict]
        what = "question" if (self.precedent.ruling or {}).get("mode") == "ask" else "post"
        reason = f"an ethics advisor ruled on a similar {what} on {self.precedent.date} ({self.precedent.ref})"
        named = next((e for e in self.engagements if isinstance(e, RulingEngagement)), None)
        fix = ""
        if named is not None:
            reason += f", under \u201c{named.provision.title}\u201d"
            fix = named.provision.advice or ""
        if self.verdict != "ok" and not fix:
            fix = f"If your case differs from theirs, ask {profile.contact.name}."
        first = f"{lead}: {reason}."
        return f"{first} {_sentence(fix)}" if fix else first


def follow(scored: list[tuple[dict, float]], capacity: str, engaged: list[Engagement], verdict: str,
           index: Index) -> Followed | None:
    """The ruling to follow, if the closest ruled precedent for ``capacity`` (``scored``: precedents
    with their closeness, best first) is close enough and says something other than ``verdict``."""
    for precedent, score in scored:
        ruling = precedent.get("ruling")
        if ruling and ruling.get("capacity") == capacity:
            break
    else:
        return None
    ruled = ruling["verdict"]
    stricter = severity(ruled) > severity(verdict)
    if ruled == verdict or score < (RAISE_CLOSE if stricter else LOWER_CLOSE):
        return None
    cited = as_precedent(precedent, score, followed=True)
    if not stricter:
        floor = most_severe(ruled, *(e.contribution(capacity) for e in engaged if decided_for_certain(e)))
        if floor != ruled:
            cited.followed = False
            return Followed(cited, verdict, engaged, applied=False, notes=[
                f"an ethics advisor ruled a similar post {ruled} on {precedent['date']} ({precedent['ref']}), "
                f"but this text holds something the rules decide for certain, so it stays {verdict}"])
        for e in engaged:
            if severity(e.contribution(capacity)) > severity(ruled):
                e.ceiling = ruled  # the advisor's word on this text outweighs a reading of its language
    named = _named(ruling, capacity, index, ruled)
    ruling_engagements = [RulingEngagement(p, "ruling", ruled, score, ruled=ruled) for p in named]
    rest = [e for e in engaged if e.provision.id not in {p.id for p in named}]
    return Followed(cited, ruled, (ruling_engagements + rest)[:MAX_CITED])


def _named(ruling: dict, capacity: str, index: Index, ruled: str) -> list[Provision]:
    """The provisions the advisor named that the profile still has; where they named none, the one
    on the ruled topics that goes furthest towards the ruled verdict (none for ``ok``)."""
    by_id = {p.id: p for p in index.provisions}
    named = [by_id[i] for i in ruling.get("provisions") or [] if i in by_id]
    if named or ruled == "ok":
        return named
    best, best_key = None, None
    for rank, topic in enumerate(ruling.get("topics") or []):
        for p in index.by_topic[capacity].get(topic, []):
            reach = min(severity(p.effect_for(capacity) or "ok"), severity(ruled))
            key = (-reach, rank, p.topics[0] != topic, p.kind != "rule", p.id)
            if best_key is None or key < best_key:
                best, best_key = p, key
    return [best] if best is not None else []
