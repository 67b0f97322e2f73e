"""Opening the database file, and the one way to write to it.

Every connection gets the same settings:

* ``journal_mode=WAL`` so readers (an analyst's Datasette, ``canipost escalations list``)
  never block the Slack app writing, and the other way round;
* ``synchronous=FULL`` so a commit that returned is on disk, not just in the OS cache:
  an escalation we confirmed to someone survives a crash or a power cut;
* ``foreign_keys=ON``, which SQLite leaves off unless each connection asks;
* a long busy timeout, so writers queue instead of failing.

Writes go through :meth:`Database.write`, which starts with ``BEGIN IMMEDIATE``. A plain
``BEGIN`` takes the write lock only at the first write; if another process commits in
between, SQLite cannot wait for the lock (the transaction's snapshot is stale) and fails
at once with "database is locked", whatever the busy timeout. Taking the lock up front
makes writers wait their turn instead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import logging
import os
import random
import sqlite3
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, Sequence

import sqlite_utils

from ..redaction import scrub
from .errors import StoreBusy, StoreError

log = logging.getLogger("canipost.store")

SECRET_REMOVED = "[secret removed]"
BUSY_TIMEOUT_MS = 20_000
# SQLite's own busy handler covers almost every wait; this outer deadline covers the rest
# (a lock held while another process recovers a WAL file, for instance) before we give up
# with a message a person can act on.
WRITE_DEADLINE_S = 60.0

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def timestamp(moment: dt.datetime) -> str:
    """``2024-05-01T09:30:00.123Z``: sorts as text, and SQLite's date functions read it."""
    moment = moment.astimezone(dt.timezone.utc) if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    message = str(exc).lower()
    return "locked" in message or "busy" in message


class Database:
    """One connection to the escalations file, shared safely by the threads of one process."""

    def __init__(self, path: Path | str, *, secrets: Sequence[str] = (), clock: Clock = utcnow):
        self.path = Path(path)
        self.clock = clock
        self._secrets = tuple(s for s in secrets if s)
        # One connection per process; the lock keeps threads (Slack handlers) from
        # interleaving statements of different transactions on it.
        self.lock = threading.RLock()
        try:
            self._prepare_file()
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the escalations database {self.path}: "
                             f"{getattr(exc, 'strerror', None) or exc} (see CANIPOST_DB)") from None
        self.db = sqlite_utils.Database(conn, execute_plugins=False)
        try:
            self._retry(self._configure)
        except BaseException:
            conn.close()
            raise

    def _prepare_file(self) -> None:
        """Create the file readable by its owner only: it holds people's cases."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.path.exists():
            try:
                os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            except FileExistsError:
                pass  # another process made it first

    def _configure(self) -> None:
        execute = self.db.conn.execute
        execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # foreign_keys is a no-op inside a transaction, hence here, once, at open.
        execute("PRAGMA foreign_keys = ON")
        self.db.enable_wal()
        execute("PRAGMA synchronous = FULL")
        if execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            raise StoreError(f"{self.path}: cannot use write-ahead logging here (is it on a network drive?)")

    def _retry(self, step: Callable[[], object]):
        deadline = time.monotonic() + WRITE_DEADLINE_S
        while True:
            try:
                return step()
            except sqlite3.DatabaseError as exc:
                if not isinstance(exc, sqlite3.OperationalError) or not _is_busy(exc):
                    unsaved = self._unsaved(exc)
                    raise (unsaved if unsaved is not exc else
                           StoreError(f"cannot use the escalations database {self.path}: {exc}")) from None
                if time.monotonic() > deadline:
                    log.warning("gave up waiting for the database lock on %s", self.path)
                    raise StoreBusy("the escalations database is busy; nothing was saved, please try again in a minute") from None
                time.sleep(random.uniform(0.005, 0.05))

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def now(self) -> str:
        return timestamp(self.clock())

    def scrub(self, text: str | None) -> str | None:
        """``text`` with any token or signing secret taken out: they never reach the file."""
        return scrub(text, self._secrets, SECRET_REMOVED) if text else text

    @contextlib.contextmanager
    def write(self, durable: bool = True) -> Iterator[sqlite_utils.Database]:
        """A write transaction: everything in the block is committed together, or not at all.

        ``durable=False`` is for bookkeeping that may be redone (how far a piece of work got):
        committed without waiting for the disk (``synchronous=NORMAL``), it survives the process
        dying but not a power cut, and costs a hundredth of a durable commit (about 4 ms here).
        """
        with self.lock:
            if not durable:
                self.db.conn.execute("PRAGMA synchronous = NORMAL")
            try:
                yield from self._transaction()
            finally:
                if not durable:
                    self.db.conn.execute("PRAGMA synchronous = FULL")

    def _transaction(self) -> Iterator[sqlite_utils.Database]:
        self._retry(lambda: self.db.conn.execute("BEGIN IMMEDIATE"))
        try:
            yield self.db
        except BaseException as exc:
            if self.db.conn.in_transaction:
                self.db.conn.execute("ROLLBACK")
            raise self._unsaved(exc) from None
        else:
            try:
                self.db.conn.execute("COMMIT")
            except BaseException as exc:
                if self.db.conn.in_transaction:
                    self.db.conn.execute("ROLLBACK")
                raise self._unsaved(exc) from None

    def _unsaved(self, exc: BaseException) -> BaseException:
        """A write the disk refused (full, or failing) as a message a person can act on; others as they are."""
        message = str(exc).lower()
        if isinstance(exc, sqlite3.OperationalError) and ("full" in message or "disk i/o" in message):
            return StoreError(f"could not save to the escalations database {self.path}: {exc} "
                              "(is the disk full?); nothing was saved, the file is as it was")
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return StoreError(f"could not save to the escalations database {self.path}: {exc.strerror}; "
                              "nothing was saved, the file is as it was")
        return exc

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
        """A read transaction: every query in the block sees the same snapshot."""
        with self.lock:
            self.db.conn.execute("BEGIN")
            try:
                yield self.db
            finally:
                if self.db.conn.in_transaction:
                    self.db.conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence | dict | None = None) -> list[dict]:
        """Rows of one read-only query, as dicts."""
        with self.lock:
            return list(self.db.query(sql, params))

    def integrity_check(self) -> str:
        with self.lock:
            return self.db.execute("PRAGMA integrity_check").fetchone()[0]
