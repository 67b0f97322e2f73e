"""Who may act on what a request names: the one check, made before anything is read or written.

A Slack button carries an answer's id or a case's reference, and a modal carries what the app
wrote into it. Slack normally hands these back unchanged, but a request that names someone
else's answer or case is refused here whatever it carries, and every refusal goes on the audit
trail. The cases' workflow (claim, resolve, reopen, comment, view) is checked the same way by
:class:`~.escalations.Escalations`, which records its refusals on each case's trail.

An answer belongs to the person it was given to. Advisors may act on any answer, and so may
anyone in the conversation an answer was posted in (a thread in a channel is seen by everyone
there), except for escalating it, which only its asker may do.
"""

from __future__ import annotations

from . import audit as audit_trail
from .answers import AnswerLog, LoggedAnswer
from .db import Database
from .errors import NotAllowed
from .model import Actor

NOT_YOURS = ("This answer was given to someone else, so I cannot show or change it for you. Ask canipost "
             "yourself (a direct message keeps it between you and canipost).")
ASKER_ONLY = ("Only the person who asked can escalate this answer. Ask canipost yourself (a direct message "
              "keeps it between you and canipost), then escalate your own answer.")


class Access:
    def __init__(self, database: Database, answers: AnswerLog):
        self.database = database
        self.answers = answers

    def answer(self, answer_id: str, actor: Actor, action: str, *, seen_in: str | None = None,
               asker_only: bool = False) -> LoggedAnswer:
        """The answer ``answer_id``, if ``actor`` may ``action`` it; else the refusal is audited and
        :class:`NotAllowed` raised. ``seen_in`` is the conversation the request came from when the
        answer is shown to everyone in it (not an ephemeral reply); :class:`NotFound` when the
        answer expired."""
        logged = self.answers.get(answer_id)
        if logged.user_id and logged.user_id == actor.id:
            return logged
        if not asker_only and (actor.is_advisor or (seen_in is not None and seen_in == logged.channel)):
            return logged
        self.refuse(actor, f"{action}: answer {logged.id}, given to {logged.user_id or 'nobody known'}")
        raise NotAllowed(ASKER_ONLY if asker_only else NOT_YOURS)

    def refuse(self, actor: Actor, detail: str, ref: str | None = None) -> None:
        """Put one refused attempt on the audit trail (``ref``: the case it named, if any)."""
        with self.database.write() as db:
            audit_trail.record(db, self.database.now(), actor, "refused", ref=ref, detail=detail)
