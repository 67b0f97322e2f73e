"""The labelled corpus: drafts and questions with the answer an ethics adviser would give.

Layout: ``knowledge/examples/<profile>/<theme>.yaml``, each file a mapping with one key,
``examples``, holding a list of::

    - id: nz-politics-014             # unique across the corpus: lower case, digits, hyphens
      profile: nz-ps                  # whose rules
      as: personal                    # official, professional or personal
      mode: check                     # check (a draft) or ask (a question)
      text: "..."                     # as a real person types it
      verdict: do-not-post            # one verdict: what an ethics adviser would answer
      topics: [criticism-of-government]   # what it engages, main first (may be empty for ok)
      provision: nz.gis-guidance.x    # optional: the provision that clearly decides it
      group: nz-pm-nickname           # optional: examples that retell one situation share a group
      source: https://...             # optional: the public case it paraphrases
      hard_negative: true             # optional: looks risky, is fine (verdict ok or caution)

Everything is checked on load, each problem named by file, line and field, like the
provisions. :func:`near_duplicates` finds examples that are copies of one another (or of an
evaluation case) with a few words changed: templates and permutations are not examples.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..contract import CAPACITIES, MODES, TOPICS, VERDICTS
from ..errors import KnowledgeError
from .schema import Checker
from .yamlfile import LineDict, LineList, load_files

EXAMPLE_FIELDS = {"id", "profile", "as", "mode", "text", "verdict", "topics", "provision", "group", "source",
                  "hard_negative"}
EXAMPLE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_EXAMPLE_CHARS = 2_000
MAX_TOPICS = 3
#: Two texts at least this alike (0-100, rapidfuzz's ratio of their folded forms) are near-duplicates.
NEAR_DUPLICATE = 85.0
#: The same for their skeletons (names and numbers blanked): one template filled in two ways.
SAME_TEMPLATE = 92.0


@dataclass(frozen=True)
class Example:
    """One labelled draft or question."""

    id: str
    profile: str
    capacity: str
    mode: str
    text: str
    verdict: str
    topics: tuple[str, ...]
    provision: str | None = None
    group: str | None = None
    source: str | None = None
    hard_negative: bool = False
    file: str = ""
    line: int = 0

    @property
    def situation(self) -> str:
        """The group its paraphrases share (its own id when it has none): the unit of cross-validation."""
        return self.group or self.id


def example_files(directory: Path) -> list[Path]:
    """Every example file under ``directory``, in a stable order."""
    return sorted(p for p in directory.rglob("*.yaml") if p.is_file())


def load_examples(directory: Path, profiles: dict[str, Any], provisions_of) -> tuple[list[Example], list[KnowledgeError]]:
    """Read and check every example file under ``directory``.

    ``profiles`` are the known profile ids; ``provisions_of(profile)`` gives the ids of the
    provisions in force there (an example's ``provision`` must be one of them).
    """
    examples: list[Example] = []
    errors: list[KnowledgeError] = []
    seen: dict[str, Example] = {}
    in_force: dict[str, set[str]] = {}
    for _, name, data in load_files(example_files(directory), errors):
        parsed, file_errors = parse_example_file(data, name, profiles, in_force, provisions_of)
        errors.extend(file_errors)
        for example in parsed:
            first = seen.get(example.id)
            if first is not None:
                errors.append(KnowledgeError(f"duplicate id {example.id!r} (first at {first.file}:{first.line})",
                                             name, example.line, "id"))
                continue
            seen[example.id] = example
            examples.append(example)
    return examples, errors


def parse_example_file(data: Any, file: str, profiles, in_force: dict[str, set[str]],
                       provisions_of) -> tuple[list[Example], list[KnowledgeError]]:
    check = Checker(file)
    top = check.mapping(data, "", 1)
    if top is None:
        return [], check.errors
    check.unknown_keys(top, {"examples"}, "")
    items = top.get("examples")
    if not isinstance(items, list) or not items:
        check.error("expected 'examples': a non-empty list", top.line_of("examples"), "examples")
        return [], check.errors
    examples = []
    for i, raw in enumerate(items):
        line = items.line_of(i) if isinstance(items, LineList) else top.line
        data_i = check.mapping(raw, f"examples[{i}]", line)
        if data_i is None:
            continue
        example = _parse_example(check, data_i, i, file, profiles, in_force, provisions_of)
        if example is not None:
            examples.append(example)
    return examples, check.errors


def _parse_example(check: Checker, data: LineDict, index: int, file: str, profiles, in_force,
                   provisions_of) -> Example | None:
    where = str(data.get("id") or f"examples[{index}]")
    before = len(check.errors)
    check.unknown_keys(data, EXAMPLE_FIELDS, where)
    example_id = check.text(data, "id", where)
    if example_id and not EXAMPLE_ID.match(example_id):
        check.error("an id is lower-case letters, digits and hyphens", data.line_of("id"), f"{where}.id")
    profile = check.choice(data, "profile", where, tuple(profiles))
    capacity = check.choice(data, "as", where, CAPACITIES)
    mode = check.choice(data, "mode", where, MODES)
    verdict = check.choice(data, "verdict", where, VERDICTS)
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        check.error("expected non-empty text", data.line_of("text"), f"{where}.text")
        text = None
    elif len(text) > MAX_EXAMPLE_CHARS:
        check.error(f"longer than {MAX_EXAMPLE_CHARS} characters", data.line_of("text"), f"{where}.text")
    topics = data.get("topics", [])
    if topics == []:
        topics = ()
    else:
        topics = check.choices(data, "topics", where, TOPICS, "topic")
        if len(topics) > MAX_TOPICS:
            check.error(f"at most {MAX_TOPICS} topics, main first", data.line_of("topics"), f"{where}.topics")
    if verdict and verdict != "ok" and not data.get("topics"):
        check.error("a verdict above ok names the topics it engages", data.line_of("topics"), f"{where}.topics")
    provision = check.text(data, "provision", where, required=False)
    if provision and profile:
        if profile not in in_force:
            in_force[profile] = set(provisions_of(profile))
        if provision not in in_force[profile]:
            check.error(f"no provision {provision!r} in profile {profile}", data.line_of("provision"), f"{where}.provision")
    group = check.text(data, "group", where, required=False)
    if group and not EXAMPLE_ID.match(group):
        check.error("a group is lower-case letters, digits and hyphens", data.line_of("group"), f"{where}.group")
    source = check.text(data, "source", where, required=False)
    hard_negative = check.boolean(data, "hard_negative", where)
    if hard_negative and verdict not in ("ok", "caution", None):
        check.error("a hard negative is a post that is fine: its verdict is ok or caution", data.line_of("verdict"),
                    f"{where}.verdict")
    if len(check.errors) > before or None in (example_id, profile, capacity, mode, verdict, text):
        return None
    return Example(example_id, profile, capacity, mode, text, verdict, tuple(topics), provision, group, source,
                   hard_negative, file, data.line)


# --- near-duplicates --------------------------------------------------------------

_LINK = re.compile(r"https?://\S+|www\.\S+")
_NON_WORD = re.compile(r"[\W_]+")
_CAPITALISED_OR_NUMBER = re.compile(r"(?<![\w'])(?:[A-Z][\w'-]*|\d[\d,.:%]*)")


def folded(text: str) -> str:
    """Lower case, no accents, no links or punctuation: what two texts are compared on."""
    text = unicodedata.normalize("NFKD", _LINK.sub(" link ", text))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return _NON_WORD.sub(" ", text).strip()


def skeleton(text: str) -> str:
    """The text with every capitalised word and number blanked: what a template leaves behind."""
    return folded(_CAPITALISED_OR_NUMBER.sub(" X ", _LINK.sub(" link ", text)))


def near_duplicates(texts: list[str], others: list[str] | None = None) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, score)`` of texts that are near-duplicates: of each other (``others`` None,
    ``i < j``), or of ``texts[i]`` and ``others[j]``.

    Two texts are near-duplicates when their folded forms are at least :data:`NEAR_DUPLICATE`
    alike, or when they are one template filled in two ways: skeletons at least
    :data:`SAME_TEMPLATE` alike, with at least two words the template keeps.
    """
    import numpy as np
    from rapidfuzz import fuzz, process

    pairs: dict[tuple[int, int], float] = {}
    for prepare, cutoff, keeps_words in ((folded, NEAR_DUPLICATE, False), (skeleton, SAME_TEMPLATE, True)):
        left = [prepare(t) for t in texts]
        right = left if others is None else [prepare(t) for t in others]
        scores = process.cdist(left, right, scorer=fuzz.ratio, score_cutoff=cutoff, dtype=np.uint8, workers=-1)
        for i, j in zip(*np.nonzero(scores)):
            i, j = int(i), int(j)
            if others is None and i >= j:
                continue
            if keeps_words and sum(w != "x" for w in left[i].split()) < 2:
                continue
            pairs[(i, j)] = max(pairs.get((i, j), 0.0), float(scores[i, j]))
    return sorted((i, j, s) for (i, j), s in pairs.items())


def duplicate_errors(examples: list[Example]) -> list[KnowledgeError]:
    """One error for each example that nearly repeats an earlier one."""
    errors = []
    for i, j, score in near_duplicates([e.text for e in examples]):
        first, second = examples[i], examples[j]
        errors.append(KnowledgeError(
            f"near-duplicate ({score:.0f}% alike) of {first.id} at {first.file}:{first.line}: write a new situation, "
            "not a variation", second.file, second.line, f"{second.id}.text"))
    return errors


def corpus_digest(examples: Iterable[Example]) -> str:
    """A fingerprint of everything training reads from the corpus, in a stable order."""
    digest = hashlib.sha256()
    for e in sorted(examples, key=lambda e: e.id):
        for value in (e.id, e.profile, e.capacity, e.mode, e.text, e.verdict, ",".join(e.topics), e.provision or "",
                      e.situation):
            digest.update(value.encode("utf-8"))
            digest.update(b"\x1f")
        digest.update(b"\x1e")
    return digest.hexdigest()
