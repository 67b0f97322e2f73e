"""Where the trained judgement meets the rules: one verdict, grounded in provisions.

The rules (detectors and matched provisions, :mod:`.verdict`) and the model (:mod:`..model.judge`)
each say how serious a text is. :func:`combine` settles it:

- they agree: that verdict;
- the model is stricter and confident: the model's verdict, cited to a provision of the profile
  on the topic the model reads, whose effect for the capacity supports it, with the words that
  engaged it. If no provision of the profile supports that much, the strongest that does decides
  (never less than ``caution``) and the answer refers the person to the contact;
- the model is stricter but not confident: ``caution`` at least, with the referral;
- the rules are stricter: the rules stand (they are kept for what they see for certain).

Whatever the verdict, the provisions on the topics the model reads are cited, so the first three
name what the text is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..contract import most_severe, severity
from ..kb import DetectorSpec, Profile, Provision
from ..model.judge import Evidence, Judgement
from .detectors import Finding
from .verdict import MAX_CITED, Engagement

TOPIC_CITED = 0.4  # a topic the model reads at least this likely is cited even when nothing is wrong
LIKELIEST_CITED = 3  # the model's likeliest few topics are cited from a lower probability...
LIKELIEST_MIN = 0.25  # ...this one (tried on the building sets)
GAIN_MIN = 0.2  # a provision is moved up the order when it names at least this much more of what the text is about
GROUND_TOPICS = 3  # a raised verdict is grounded in one of the model's likeliest topics...
GROUND_MIN = 0.2  # ...read at least this likely (the likeliest always counts)
COVERING = 3  # the first provisions cited are chosen to name what the text is about


@dataclass
class Combined:
    engagements: list[Engagement]
    verdict: str
    referral: bool = False  # the answer should name the contact: the model and the rules disagree
    notes: list[str] = field(default_factory=list)
    uncovered: list[Finding] = field(default_factory=list)  # what the model read that no provision here covers


def reading_spec(topic: str, readings: dict[str, str], capacity_effects: dict[str, str]) -> DetectorSpec:
    """A finding kind for what the model read in a text: "reads as party-political comment"."""
    return DetectorSpec(kind="judgement", label=readings.get(topic, f"reads as a matter of {topic}"), topics=(topic,),
                        effects=capacity_effects, advice="", content=True)


def _ground(verdict: str, judgement: Judgement, by_topic: dict[str, list[Provision]], capacity: str,
            relevance: dict[str, float]) -> tuple[Provision, str] | None:
    """The provision that goes furthest towards ``verdict`` on a topic the model reads (among its
    likeliest few), the likelier topic first among equals; None when the profile has none."""
    best, best_key = None, None
    for rank, (topic, probability) in enumerate(judgement.topics[:GROUND_TOPICS]):
        if rank and probability < GROUND_MIN:
            break
        for p in by_topic.get(topic, []):
            reach = min(severity(p.effect_for(capacity) or "ok"), severity(verdict))
            key = (-reach, rank, p.topics[0] != topic, p.kind != "rule", -relevance.get(p.id, 0.0), p.id)
            if best_key is None or key < best_key:
                best, best_key = (p, topic), key
    return best


def _evidence_finding(evidence: list[Evidence], spec: DetectorSpec) -> Finding | None:
    if not evidence:
        return None
    signal = next((e for e in evidence if e.signal is not None), None)
    if signal is not None:
        return Finding("judgement", signal.text, signal.start, signal.end, spec)
    first, last = evidence[0], evidence[-1]
    words = ", ".join(e.text for e in evidence)
    return Finding("judgement", words, first.start, max(e.end for e in evidence), spec)


def combine(rules: list[Engagement], judgement: Judgement, profile: Profile, capacity: str,
            by_topic: dict[str, list[Provision]], relevance: dict[str, float], readings: dict[str, str],
            signal_reading) -> Combined:
    """The verdict and cited provisions once the rules and the model are weighed together."""
    rule_verdict = most_severe(*(e.contribution(capacity) for e in rules))
    if not judgement.informed:  # nothing in the text the model knows: the rules alone answer
        return Combined(list(rules), rule_verdict)
    model_verdict = judgement.verdict
    engagements = list(rules)
    verdict = rule_verdict
    referral = False
    notes: list[str] = []

    def engage_model(provision: Provision, topic: str, ceiling: str) -> Engagement:
        existing = next((e for e in engagements if e.provision.id == provision.id), None)
        label = readings.get(topic, "")
        signal = next((e.signal for e in judgement.evidence if e.signal is not None), None)
        if signal is not None:
            label = signal_reading(signal)
        spec = reading_spec(topic, {topic: label} if label else readings, {capacity: ceiling})
        finding = _evidence_finding(judgement.evidence, spec)
        if existing is not None:
            if severity(ceiling) > severity(existing.ceiling) or existing.via == "reminder":
                existing.via, existing.ceiling = "judgement", ceiling
            if finding is not None:
                existing.findings.insert(0, finding)
            return existing
        engagement = Engagement(provision, "judgement", ceiling, judgement.topic_probability(topic),
                                [finding] if finding else [])
        engagements.append(engagement)
        return engagement

    uncovered: list[Finding] = []
    if severity(model_verdict) > severity(rule_verdict):
        target = model_verdict if judgement.confident else most_severe(rule_verdict, "caution")
        grounded = _ground(target, judgement, by_topic, capacity, relevance)
        if grounded is not None:
            provision, topic = grounded
            engagement = engage_model(provision, topic, target)
            verdict = most_severe(rule_verdict, engagement.contribution(capacity))
        elif judgement.topics:
            # What the model read is not in this profile's provisions: say so, never invent a rule.
            topic = judgement.topics[0][0]
            spec = reading_spec(topic, readings, {capacity: "caution"})
            finding = _evidence_finding(judgement.evidence, spec)
            if finding is not None:
                uncovered.append(finding)
        if severity(verdict) < severity(target) or not judgement.confident:
            referral = True
            if severity(verdict) < severity("caution"):
                verdict = "caution"
            if severity(verdict) < severity(model_verdict):
                notes.append(f"it may be more serious than the {profile.name} provisions cited can say: ask "
                             f"{profile.contact.name}")

    # Cite what the text is about: the likeliest topics the model reads, when no provision on
    # them is cited yet.
    cited_topics = {t for e in engagements for t in e.provision.topics}
    for rank, (topic, probability) in enumerate(judgement.topics):
        if probability < (LIKELIEST_MIN if rank < LIKELIEST_CITED else TOPIC_CITED):
            break
        if topic in cited_topics:
            continue
        candidates = sorted(by_topic.get(topic, []), key=lambda p: (p.topics[0] != topic, -relevance.get(p.id, 0.0), p.id))
        if candidates:
            engagements.append(Engagement(candidates[0], "reminder", "ok", probability))
            cited_topics.update(candidates[0].topics)

    return Combined(_order(engagements, judgement, capacity, verdict), verdict, referral, notes, uncovered)


def _order(engagements: list[Engagement], judgement: Judgement, capacity: str, verdict: str) -> list[Engagement]:
    """The decisive provision first; then, one at a time, the provision that names the most of what
    the text is likely about that the ones before have not named (the topics' probabilities, summed);
    then the rest by how likely their topics are."""
    topic_probability = dict(judgement.topics)

    def likely(e: Engagement) -> float:
        return max(topic_probability.get(t, 0.0) for t in e.provision.topics)

    def decisive(e: Engagement) -> bool:
        return e.contribution(capacity) == verdict and e.via != "reminder"

    remaining = sorted(engagements, key=lambda e: (not decisive(e), -likely(e), -severity(e.contribution(capacity)),
                                                    e.provision.id))
    ordered = remaining[:1]
    remaining = remaining[1:]
    named = set(ordered[0].provision.topics) if ordered else set()
    while remaining and len(ordered) < COVERING:
        def gain(e: Engagement) -> float:
            return sum(topic_probability.get(t, 0.0) for t in set(e.provision.topics) - named)

        best = max(remaining, key=lambda e: (gain(e), -remaining.index(e)))
        if gain(best) < GAIN_MIN:
            break
        ordered.append(best)
        remaining.remove(best)
        named |= set(best.provision.topics)
    return (ordered + remaining)[:MAX_CITED]
