"""Errors that reach a person: each says what is wrong and, where it can, where."""

from __future__ import annotations


class CanipostError(Exception):
    """An error with a message fit to show a user as it is (no traceback)."""


class InputError(CanipostError):
    """The text, profile or capacity given cannot be answered as it stands."""


class KnowledgeError(CanipostError):
    """A problem in the knowledge base, located by file, line and field.

    ``str()`` gives ``file:line: field: message``, the form editors and CI logs link.
    """

    def __init__(self, message: str, file: str | None = None, line: int | None = None, field: str | None = None):
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class KnowledgeErrors(CanipostError):
    """Every problem found in one validation pass, so an editor can fix them all at once."""

    def __init__(self, errors: list[KnowledgeError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
