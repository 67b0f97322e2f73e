"""Taking third parties' details out of what we keep.

The engine's detectors already found them: an answer's ``findings`` are
``{"kind", "text", "start", "end"}`` spans of the text it was given. We trust the spans
only while they still point at the text they name (the front end may have trimmed or
re-joined the text since); otherwise the finding's own text is looked for instead.
Every occurrence is replaced, so a number written twice is not kept once.
"""

from __future__ import annotations

from typing import Iterable, Mapping

#: Details of other people masked in the stored copy of a case (unless the asker keeps them).
CONTACT_KINDS = ("email", "phone")
#: What a precedent never shows: contact details and the names the detectors marked.
IDENTIFYING_KINDS = ("email", "phone", "person")

PLACEHOLDERS = {"email": "[email removed]", "phone": "[phone number removed]", "person": "[name removed]"}


def personal_findings(findings: Iterable[Mapping] | None, kinds: Iterable[str]) -> list[Mapping]:
    wanted = set(kinds)
    return [f for f in findings or () if f.get("kind") in wanted and f.get("text")]


def mask(text: str | None, findings: Iterable[Mapping] | None, kinds: Iterable[str] = CONTACT_KINDS) -> str | None:
    """``text`` with the findings of ``kinds`` replaced by a placeholder naming what was there."""
    if not text:
        return text
    spans: list[tuple[int, int, str]] = []
    values: dict[str, str] = {}
    for finding in personal_findings(findings, kinds):
        placeholder = PLACEHOLDERS.get(finding["kind"], "[removed]")
        start, end = finding.get("start"), finding.get("end")
        if isinstance(start, int) and isinstance(end, int) and text[start:end] == finding["text"]:
            spans.append((start, end, placeholder))
        values[finding["text"]] = placeholder
    # Every other occurrence of a found value, longest values first so that a phone number
    # inside a longer one is not half-masked.
    for value in sorted(values, key=len, reverse=True):
        at = text.find(value)
        while at != -1:
            spans.append((at, at + len(value), values[value]))
            at = text.find(value, at + len(value))
    if not spans:
        return text
    out, position = [], 0
    for start, end, placeholder in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if start < position:
            continue  # inside a span already replaced
        out += [text[position:start], placeholder]
        position = end
    out.append(text[position:])
    return "".join(out)


def mask_values(text: str | None, findings: Iterable[Mapping] | None, kinds: Iterable[str] = CONTACT_KINDS) -> str | None:
    """Like :func:`mask` for a different text (the asker's context): by value only, no spans."""
    stripped = [{"kind": f["kind"], "text": f["text"]} for f in personal_findings(findings, kinds)]
    return mask(text, stripped, kinds)
