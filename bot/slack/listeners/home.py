"""The App Home tab, published for one person: their own cases and, for advisors, the queue and how
often canipost agrees with their rulings."""

from __future__ import annotations

from slack_sdk import WebClient

from ...store import Actor
from .. import blocks
from ..app import Services

OWN_CASES = 10
QUEUE_CASES = 45


def publish_home(services: Services, client: WebClient, user_id: str) -> None:
    advisor = services.advisors.check(user_id)
    actor = Actor(user_id, is_advisor=advisor)
    escalations = services.store.escalations
    own = escalations.list(actor, asker=user_id, limit=OWN_CASES)
    queue = mine = total = agreement = None
    if advisor:
        queue = escalations.list(actor, status="open", limit=QUEUE_CASES)
        total = escalations.count(actor, status="open")
        mine = [c for c in escalations.list(actor, status="claimed", limit=200) if c.assignee_id == user_id]
        agreement = escalations.agreement(actor)
    view = blocks.home_view(own, profile=services.settings.profile, queue=queue, mine=mine, queue_total=total,
                            agreement=agreement)
    client.views_publish(user_id=user_id, view=view)
