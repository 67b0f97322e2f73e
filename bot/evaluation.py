"""Score the engine on labelled cases (the format of ``shared/eval/dev.yaml``).

The measures are the contract's: verdict accuracy (the verdict is one the case accepts),
topic recall at 3 (share of expected topics carried by the first three provisions),
unsafe answers (expected ``do-not-post``, answered ``ok`` or ``caution``) and over-cautious
answers (expected ``ok``, answered ``needs-approval`` or ``do-not-post``), plus escalation
agreement where a case gives ``escalate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .contract import CAPACITIES, MODES, TOPICS, VERDICTS
from .errors import CanipostError, KnowledgeError
from .kb.yamlfile import load_file


@dataclass
class Case:
    id: str
    mode: str
    profile: str
    capacity: str
    text: str
    verdicts: tuple[str, ...]
    topics: tuple[str, ...]
    escalate: bool | None = None


@dataclass
class Result:
    case: Case
    verdict: str | None
    topics_top3: tuple[str, ...]
    escalate: bool | None
    error: str | None = None

    @property
    def verdict_ok(self) -> bool:
        return self.verdict in self.case.verdicts

    @property
    def topics_found(self) -> list[str]:
        return [t for t in self.case.topics if t in self.topics_top3]

    @property
    def unsafe(self) -> bool:
        return self.case.verdicts == ("do-not-post",) and self.verdict in ("ok", "caution")

    @property
    def over_cautious(self) -> bool:
        return self.case.verdicts == ("ok",) and self.verdict in ("needs-approval", "do-not-post")

    @property
    def escalate_ok(self) -> bool | None:
        return None if self.case.escalate is None else bool(self.escalate) == self.case.escalate

    @property
    def miss(self) -> bool:
        return bool(self.error) or not self.verdict_ok or len(self.topics_found) < len(self.case.topics)


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.results)

    @property
    def verdict_accuracy(self) -> float:
        return sum(r.verdict_ok for r in self.results) / max(self.n, 1)

    @property
    def topic_recall(self) -> float:
        wanted = sum(len(r.case.topics) for r in self.results)
        return sum(len(r.topics_found) for r in self.results) / wanted if wanted else 1.0

    @property
    def unsafe(self) -> int:
        return sum(r.unsafe for r in self.results)

    @property
    def over_cautious(self) -> int:
        return sum(r.over_cautious for r in self.results)

    @property
    def escalate_agreement(self) -> tuple[int, int]:
        judged = [r.escalate_ok for r in self.results if r.escalate_ok is not None]
        return sum(judged), len(judged)

    @property
    def errors(self) -> int:
        return sum(bool(r.error) for r in self.results)

    @property
    def breaches(self) -> int:
        """Cases whose only right answer is ``do-not-post``."""
        return sum(r.case.verdicts == ("do-not-post",) for r in self.results)

    @property
    def benign(self) -> int:
        """Cases whose only right answer is ``ok``."""
        return sum(r.case.verdicts == ("ok",) for r in self.results)

    def by_profile(self) -> dict[str, "Report"]:
        reports: dict[str, Report] = {}
        for r in self.results:
            reports.setdefault(r.case.profile, Report()).results.append(r)
        return dict(sorted(reports.items()))

    def summary(self) -> str:
        agree, judged = self.escalate_agreement
        return (f"cases {self.n}  verdict accuracy {self.verdict_accuracy:.2f}  topic recall@3 {self.topic_recall:.2f}  "
                f"unsafe {self.unsafe}  over-cautious {self.over_cautious}  escalate {agree}/{judged}  errors {self.errors}")

    def rates(self) -> str:
        """Clear breaches missed and benign posts over-flagged, as counts and shares."""
        return (f"clear breaches missed {self.unsafe}/{self.breaches} ({self.unsafe / max(self.breaches, 1):.0%})  "
                f"benign over-flagged {self.over_cautious}/{self.benign} ({self.over_cautious / max(self.benign, 1):.0%})")

    def profile_lines(self) -> list[str]:
        return [f"  {profile:<12} cases {r.n:>3}  accuracy {r.verdict_accuracy:.2f}  recall@3 {r.topic_recall:.2f}  "
                f"breaches missed {r.unsafe}/{r.breaches}  benign over-flagged {r.over_cautious}/{r.benign}"
                for profile, r in self.by_profile().items()]

    def misses(self) -> list[str]:
        lines = []
        for r in self.results:
            if not r.miss:
                continue
            if r.error:
                lines.append(f"MISS {r.case.id}: error {r.error}")
                continue
            flag = " UNSAFE" if r.unsafe else " OVER-CAUTIOUS" if r.over_cautious else ""
            lines.append(f"MISS {r.case.id}: verdict {r.verdict} (want {'/'.join(r.case.verdicts)}){flag}; "
                         f"topics {sorted(r.topics_top3)} (want {list(r.case.topics)})  [{r.case.profile}, "
                         f"{r.case.capacity}, {r.case.mode}] {r.case.text[:70]!r}")
        return lines


def load_cases(path: Path | str) -> list[Case]:
    """Read and check a labelled case file; a malformed case is a :class:`KnowledgeError` with its line."""
    name = str(path)
    data = load_file(Path(path))
    if not isinstance(data, list):
        raise KnowledgeError("expected a list of cases", name, 1)
    cases = []
    for i, raw in enumerate(data):
        line = data.line_of(i) if hasattr(data, "line_of") else None
        if not isinstance(raw, dict):
            raise KnowledgeError("expected a mapping", name, line, f"[{i}]")
        try:
            cases.append(_case(raw, i))
        except (KeyError, ValueError, TypeError) as exc:
            raise KnowledgeError(f"malformed case: {exc}", name, line, str(raw.get("id", f"[{i}]"))) from None
    return cases


def _case(raw: dict[str, Any], index: int) -> Case:
    verdicts = raw["verdict"] if isinstance(raw["verdict"], list) else [raw["verdict"]]
    topics = raw.get("topics") or []
    mode = raw.get("mode", "check")
    capacity = raw.get("as", "personal")
    for v in verdicts:
        if v not in VERDICTS:
            raise ValueError(f"unknown verdict {v!r}")
    for t in topics:
        if t not in TOPICS:
            raise ValueError(f"unknown topic {t!r}")
    if mode not in MODES or capacity not in CAPACITIES:
        raise ValueError(f"unknown mode or capacity: {mode!r}, {capacity!r}")
    if not isinstance(raw["text"], str):
        raise TypeError("text must be a string")
    return Case(str(raw.get("id", f"case-{index + 1}")), mode, raw.get("profile") or "au-aps", capacity, raw["text"],
                tuple(verdicts), tuple(topics), raw.get("escalate"))


def evaluate(engine, cases: list[Case]) -> Report:
    """Answer every case with ``engine`` and collect the results."""
    report = Report()
    for case in cases:
        try:
            answer = engine.answer(case.text, mode=case.mode, profile=case.profile, capacity=case.capacity)
        except CanipostError as exc:
            report.results.append(Result(case, None, (), None, str(exc)))
            continue
        top3 = tuple(dict.fromkeys(t for c in answer.provisions[:3] for t in c.provision.topics))
        report.results.append(Result(case, answer.verdict, top3, answer.escalate))
    return report
