"""Errors: what mlbom raises when it cannot do what was asked.

A *finding* is a fact about the inventory and lives in the BOM (:class:`mlbom.model.Finding`);
an *error* means mlbom could not do its job. The CLI maps :class:`VerificationError` to exit
code 1 and every other :class:`MlbomError` to exit code 2.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


class MlbomError(Exception):
    """mlbom could not do what was asked; the CLI exits 2."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class InputError(MlbomError, ValueError):
    """A named input is missing, unreadable or not what it claims to be."""

    def __init__(
        self, path: Path | str, message: str, *, at: str | None = None, hint: str | None = None
    ) -> None:
        text = f"{path}: {at}: {message}" if at else f"{path}: {message}"
        super().__init__(text, hint=hint)
        self.path = Path(path)
        self.at = at
        self.detail = message


class UsageError(MlbomError):
    """The arguments do not make sense together.

    ``option`` names the setting at fault as the library spells it (``gpu_recording``,
    ``spec_version``), ``value`` the value given; ``detail`` says what is wrong. The library's
    message reads ``option 'value': detail``; the command line renders the option as its flag
    (``--gpu-recording``) through :meth:`render`.

    Other settings the detail or hint mentions are written ``{name}`` and listed in ``related``;
    the library shows them as the bare name, :meth:`render` and :meth:`render_hint` through
    ``spell`` (the command line: as their flags). No library message names a command-line flag."""

    def __init__(self, message: str, *, option: str | None = None, value: str | None = None,
                 related: tuple[str, ...] = (), hint: str | None = None) -> None:
        self.option = option
        self.value = value
        self.related = related
        self.detail = message
        self.raw_hint = hint
        super().__init__(self.render(option), hint=self._fill(hint, None) if hint is not None else None)

    def _fill(self, text: str, spell: Callable[[str], str] | None) -> str:
        for name in self.related:
            text = text.replace("{" + name + "}", spell(name) if spell is not None else name)
        return text

    def render(self, label: str | None, spell: Callable[[str], str] | None = None) -> str:
        """The message with the option shown as ``label`` (e.g. its command-line flag) and the
        related settings as ``spell`` names them."""
        detail = self._fill(self.detail, spell)
        if label is None:
            return detail
        return f"{label} {self.value!r}: {detail}" if self.value is not None else f"{label}: {detail}"

    def render_hint(self, spell: Callable[[str], str] | None = None) -> str | None:
        """The hint with the related settings as ``spell`` names them."""
        return self._fill(self.raw_hint, spell) if self.raw_hint is not None else None


class ValidationFailed(MlbomError):
    """A BOM does not validate; the CLI exits 1 (the check found something)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} validation problem(s): {problems[0] if problems else ''}")
        self.problems = problems


class VerificationError(MlbomError):
    """A signature, hash or policy check failed; the CLI exits 1."""


class NotSignedError(VerificationError):
    """The input carries no signature at all (a failed check, exit 1; the index records "unsigned")."""


def printable(text: str) -> str:
    """``text`` with control and other non-printable characters escaped as in Python's ``repr``
    (``\\n``, ``\\x1b``, ``\\u2028``; a backslash doubled only then), so that a file name chosen by
    an attacker cannot add lines to, or rewrite, what mlbom prints. Printable text is unchanged."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() and ch != "\\" else repr(ch)[1:-1] for ch in text)
