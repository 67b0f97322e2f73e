"""The words every answer is made of: verdicts, capacities, modes and topics.

These are fixed by the answer contract (``shared/contract.md``); the knowledge base,
the engine, the command line and the Slack app all take them from here.
"""

from __future__ import annotations

#: Verdicts, least to most severe. The order matters: a verdict "raises" another.
VERDICTS: tuple[str, ...] = ("ok", "caution", "needs-approval", "do-not-post")

#: Capacities a person can write in. ``personal`` is the default.
CAPACITIES: tuple[str, ...] = ("official", "professional", "personal")
DEFAULT_CAPACITY = "personal"

#: ``check`` judges a draft post; ``ask`` answers a question about posting.
MODES: tuple[str, ...] = ("check", "ask")

#: Topic -> what it covers. Every provision carries one or more of these and no others.
TOPICS: dict[str, str] = {
    "political-neutrality": "party-political comment, elections, impartiality, political activity, endorsing policy",
    "criticism-of-government": "criticising government policy, ministers or the agency; duty of loyalty",
    "official-information": "confidential, classified, embargoed or unreleased information; policy in development",
    "privacy": "personal information about identifiable people, consent",
    "authorisation": "official comment needs approval; authorised authors; spokespeople; media",
    "identification": "saying you are a public servant; disclaimers; separate official and personal profiles; work email",
    "anonymity": "pseudonyms and aliases do not change the obligations",
    "respect": "courtesy, harassment, personal attacks, unreasonable criticism of clients or colleagues, diversity",
    "conflict-of-interest": "personal interests, side businesses, personal branding",
    "endorsement": "following, liking, sharing, linking seen as endorsement; products and services; advertising",
    "intellectual-property": "copyright and other rights in what is shared",
    "accuracy": "factual and accurate content; explaining, not justifying, policy; misinformation",
    "records": "informing the communications area; keeping records of official contact",
    "moderation": "moderating or deleting comments; direct messages; transparency statements",
    "seniority": "extra care for senior executives and chief executives",
    "resources": "proper use of work devices, networks and time; monitoring",
    "permanence": "posts last and spread; mishaps and how to handle them",
    "professional-comment": "commenting as an expert in your field; telling your manager",
    "whistleblowing": "raising wrongdoing through proper channels, not social media",
    "tone": "humour, sarcasm, emojis, misreadable messages",
    "engagement": "encouragement to take part online; the default is to enable staff",
    "security": "account security, bad actors",
    "wellbeing": "staff facing online abuse; support and reporting",
}

#: Provision kinds: a ``rule`` binds; ``guidance`` advises and never forbids on its own.
KINDS: tuple[str, ...] = ("rule", "guidance")

JURISDICTIONS: dict[str, str] = {
    "AU": "Australia",
    "NZ": "New Zealand",
    "UK": "United Kingdom",
    "CA": "Canada",
}


def severity(verdict: str) -> int:
    """Position of ``verdict`` in :data:`VERDICTS` (0 for ``ok``)."""
    return VERDICTS.index(verdict)


def most_severe(*verdicts: str) -> str:
    """The most severe of ``verdicts`` (``ok`` when given none)."""
    return max(verdicts, key=severity, default="ok")


def least_severe(*verdicts: str) -> str:
    """The least severe of ``verdicts``."""
    return min(verdicts, key=severity)


def raise_verdict(verdict: str, steps: int = 1) -> str:
    """``verdict`` made ``steps`` levels stricter, stopping at ``do-not-post``."""
    return VERDICTS[min(severity(verdict) + steps, len(VERDICTS) - 1)]
