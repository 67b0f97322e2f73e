"""Fixtures for the store tests: a real SQLite file in tmp_path, and the people who use it."""

from __future__ import annotations

import pytest

from canipost.store import Store

from .store_helpers import ASKER, Clock, make_answer


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data" / "canipost.db"


@pytest.fixture
def store(db_path, clock):
    with Store(db_path, clock=clock, secrets=("xoxb-test-bot-token", "signing-secret-123")) as opened:
        yield opened


@pytest.fixture
def case(store):
    """An open case from ASKER."""
    return store.escalations.create(asker=ASKER, text="Can I post a photo of the queue at our office?",
                                    answer=make_answer())
