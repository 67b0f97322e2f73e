"""The answer engine: one engine for every front end (command line, Slack, batch).

    engine = Engine.load()                                   # the bundled knowledge base
    answer = engine.answer("Can I retweet my MP's campaign post?", mode="ask", profile="uk-cs")
    answer.verdict, answer.to_dict(), answer.render_text()

Deterministic and offline: the same text, profile, capacity and day always give the same answer.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Callable

from ..contract import CAPACITIES, DEFAULT_CAPACITY, MODES
from ..errors import InputError
from ..kb import KnowledgeBase, load_knowledge
from .answer import Answer, CitedProvision, Precedent
from ..model.judge import Judge, as_read
from .detectors import Detectors, Finding
from .explain import notice, safer_draft, summarise, what_it_is
from .judgement import combine
from .matcher import Index
from .precedents import PrecedentIndex
from .rulings import Followed, follow
from .text import Analyzer, clean_input
from .verdict import decide, engage

__all__ = ["Answer", "Engine", "Finding", "Precedent"]

# A question about what to do after something happened, rather than about something to put out:
# baseline duties (an approval every post needs) are not what it asks about.
AFTERMATH_QUESTION = re.compile(
    r"\b(?:afterwards?|after (?:it|that|the|our|this)\b|now (?:that|it'?s)|what (?:do|should) (?:i|we) do now|"
    r"what now|anything (?:i|we) (?:need|have|should) to do|do (?:i|we) (?:need|have) to (?:tell|let|report|inform|"
    r"record|log|file|keep)|(?:where|who) (?:does|should) (?:this|it) (?:need to )?go|is that the end of it|"
    r"what should (?:i|we) do)\b",
    re.IGNORECASE,
)


class Engine:
    """Answers questions and checks drafts against one knowledge base."""

    def __init__(self, kb: KnowledgeBase, default_profile: str = "au-aps",
                 today: Callable[[], dt.date] = dt.date.today, judge: Judge | None = None):
        self.kb = kb
        self.judge = judge
        if judge is not None:
            judge.know_words(w for canonical, variants in kb.vocabulary.synonyms.items()
                             for w in (canonical, *variants))
        self.default_profile = default_profile
        self.today = today
        self.analyzer = Analyzer(kb.vocabulary)
        self.detectors = Detectors(kb.detectors, kb.vocabulary)
        self.indexes = {pid: Index(kb.provisions_for(pid), self.analyzer) for pid in kb.profiles}
        self.precedents = PrecedentIndex(self.analyzer)
        kb.profile(default_profile)

    @classmethod
    def load(cls, knowledge_dir: Path | str | None = None, default_profile: str = "au-aps") -> "Engine":
        """An engine over the knowledge base at ``knowledge_dir`` (default: the bundled one), with its
        trained judgement when it has one."""
        kb = load_knowledge(knowledge_dir)
        return cls(kb, default_profile, judge=Judge.load(kb.root, kb.vocabulary.stopwords))

    def answer(self, text: str, *, mode: str = "check", profile: str | None = None,
               capacity: str | None = None) -> Answer:
        """Answer one question (``mode="ask"``) or check one draft (``mode="check"``).

        ``capacity`` None means the asker did not say: the answer is for ``personal`` and
        ``capacity_matters`` tells whether writing officially would change the verdict.
        Raises :class:`InputError` for empty or over-long text, or an unknown mode, profile
        or capacity, with a message fit to show the user.
        """
        if mode not in MODES:
            raise InputError(f"unknown mode {mode!r} (known: {', '.join(MODES)})")
        if capacity is not None and capacity not in CAPACITIES:
            raise InputError(f"unknown capacity {capacity!r} (known: {', '.join(CAPACITIES)})")
        profile_obj = self.kb.profile(profile or self.default_profile)
        text, notes = clean_input(text)
        analysis = self.judge.analyse(text, profile_obj.jurisdiction) if self.judge else None
        read = as_read(text, analysis) if analysis else text  # the rules read through typing slips too
        vector = self.judge.vector(read) if self.judge else None  # one embedding, whatever the capacity
        index = self.indexes[profile_obj.id]
        tokens = self.analyzer.tokens(read)
        matches = index.match(read, tokens)
        findings = self.detectors.find(read, mode, profile_obj.jurisdiction)
        posting = mode == "ask" and not AFTERMATH_QUESTION.search(read)
        relevance = {m.provision.id: m.score for m in matches}
        referrals: list[str] = []
        unread: list[Finding] = []  # what the model read that no provision of the profile covers

        def judge(cap: str):
            engaged = engage(index, cap, mode, matches, findings, posting, profile_obj, self.today())
            verdict = decide(engaged, cap)
            referral = False
            if self.judge is not None:
                judgement = self.judge.judge(text, capacity=cap, mode=mode, profile=profile_obj.id,
                                             jurisdiction=profile_obj.jurisdiction, analysis=analysis,
                                             vector=vector)
                combined = combine(engaged, judgement, profile_obj, cap, index.by_topic[cap], relevance,
                                   self.kb.readings, self.judge.describe)
                engaged, verdict, referral = combined.engagements, combined.verdict, combined.referral
                if cap == capacity_asked:
                    referrals.extend(combined.notes)
                    unread.extend(combined.uncovered)
            covered = {id(f) for e in engaged for f in e.findings}
            if verdict == "ok" and any(f.spec.effects[cap] != "ok" and id(f) not in covered for f in findings):
                verdict = "caution"
            return engaged, verdict, referral

        given = capacity is not None
        capacity = capacity or DEFAULT_CAPACITY
        capacity_asked = capacity
        engaged, verdict, referral = judge(capacity)
        # An ethics advisor's ruling on a close precedent outweighs what the engine would say (.rulings).
        scored = self.precedents.scored(text, profile_obj.id)
        followed = follow(scored, capacity, engaged, verdict, index)
        if followed is not None:
            engaged, verdict = followed.engagements, followed.verdict
            notes.extend(followed.notes)
            if followed.applied:  # the advisor settled what the rules and the model were unsure of
                referral = False
                referrals.clear()
        cited_findings = {id(f) for e in engaged for f in e.findings}  # a set: findings may be thousands
        relevant_findings = [f for f in findings if id(f) in cited_findings]
        read = [f for e in engaged for f in e.findings if f.kind == "judgement" and e.contribution(capacity) != "ok"]
        # A risk no provision of this profile covers: not "ok", and not a made-up rule either
        # (judge() has already made such an answer "caution").
        uncovered = [f for f in findings if f.spec.effects[capacity] != "ok" and id(f) not in cited_findings] + unread
        matched = any(e.via != "reminder" and e.via != "always" for e in engaged) or bool(relevant_findings)
        # An escalating finding whose own effect is ok ("I already posted...") escalates only
        # when something else made the answer more than ok.
        escalate = (
            any(f.spec.escalate and (f.spec.effects[capacity] != "ok" or verdict != "ok") for f in findings)
            or any(e.provision.escalate and e.via in ("pattern", "match", "judgement") for e in engaged)
            or (mode == "ask" and not matched)
            or bool(uncovered)
            or referral
        )
        notes.extend(referrals)
        for finding in uncovered if any(e.via != "reminder" for e in engaged) else ():
            notes.append(f"it {what_it_is(finding)} (\u201c{finding.text}\u201d), which the {profile_obj.name} "
                         f"provisions do not cover for {capacity} posts: ask {profile_obj.contact.name}")
        for finding in relevant_findings:
            implied = finding.spec.implies
            if implied and implied != capacity:
                notes.append(f"this reads as {implied} comment ({finding.spec.label}), not {capacity}")
        capacity_matters = False
        if not given:
            # Whether it is written officially is what changes answers; professional comment is a
            # deliberate choice people name, so it is not asked about.
            capacity_matters = judge("official")[1] != verdict
        period = next((e.period for e in engaged if e.period and e.contribution(capacity) != "ok"), None)
        summary = summarise(verdict, mode, engaged, capacity, profile_obj, matched, uncovered)
        if followed is not None and followed.applied:
            summary = followed.summary(mode, profile_obj)
        if period is not None:
            summary += f" {period.name} runs until {period.end:%d %B %Y}, so this is judged more strictly."
        cited = [CitedProvision(e.provision, e.score, e.contribution(capacity), e.via, e.findings) for e in engaged]
        return Answer(
            verdict=verdict,
            escalate=escalate,
            summary=summary,
            profile=profile_obj,
            capacity=capacity,
            mode=mode,
            text=text,
            provisions=cited,
            findings=sorted(relevant_findings + read, key=lambda f: f.start) + uncovered,
            contact=profile_obj.contact,
            notice=notice(profile_obj),
            matched=matched,
            suggestion=safer_draft(text, findings) if mode == "check" else None,
            period=period,
            notes=notes,
            capacity_given=given,
            capacity_matters=capacity_matters,
            precedents=self._precedents(text, profile_obj.id, scored, followed),
        )

    def _precedents(self, text: str, profile: str, scored: list, followed: Followed | None) -> list[Precedent]:
        """The precedents to show: the one whose ruling the answer follows first, then the most similar."""
        similar = self.precedents.similar(text, profile, scored=scored)
        if followed is None:
            return similar
        return [followed.precedent] + [p for p in similar if p.ref != followed.precedent.ref][:1]
