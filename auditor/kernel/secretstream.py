"""Checking streamed text for a secret fragment (``SecretSet.contains`` over chunks).

An output written as it is made (``reports.base``) is checked as it is written: ``SecretScanner``
takes the chunks in order and answers, at the end, whether the text they make holds a fragment of
a secret, exactly as ``SecretSet.contains`` would on the joined text, holding at most about
``PIECE`` characters at a time. Text is checked in pieces cut where ``contains`` cuts (never inside
an escape sequence), with the last ``FRAGMENT - 1`` characters of each piece's folded view carried
into the next, so a fragment across a cut is found.

``LooseScanner`` does the same for ``SecretSet.contains_loose`` (letters and digits alone, so
pieces are projected one by one and the last ``FRAGMENT - 1`` projected characters carried).
"""

from __future__ import annotations

from auditor.kernel.invisible import hidden
from auditor.kernel.secretforms import fold, project
from auditor.kernel.secretmatch import FRAGMENT, SecretSet, _safe_cut

PIECE = 1 << 18
"""Characters checked at a time (``contains`` reads ``CHUNK``, 4 Mi): checking one piece makes a
few copies of it, and each check is a call into C that other threads wait on, so a stream is
checked in smaller ones."""
_TAIL = 64
"""Characters held back from each piece: an escape sequence (at most 16) is never cut."""


class _Pieces:
    """Chunks gathered into pieces of about ``piece`` characters, each handed to ``_check``."""

    def __init__(self, secrets: SecretSet, *, piece: int = PIECE) -> None:
        self._secrets = secrets
        self._piece = piece
        self._pending: list[str] = []
        self._length = 0
        self._carry = ""
        self.found = False

    def _wanted(self) -> bool:
        return bool(self._secrets)

    def feed(self, chunk: str) -> None:
        if self.found or not chunk or not self._wanted():
            return
        self._pending.append(chunk)
        self._length += len(chunk)
        if self._length >= self._piece + _TAIL:
            self._take(cut=True)

    def close(self) -> bool:
        if not self.found and self._pending and self._wanted():
            self._take(cut=False)
        self._pending, self._length = [], 0
        return self.found

    def _take(self, *, cut: bool) -> None:
        text = "".join(self._pending)
        at = _safe_cut(text, len(text) - _TAIL) if cut else len(text)
        self._check(text[:at])
        rest = text[at:]
        self._pending, self._length = ([rest] if rest else []), len(rest)

    def _check(self, piece: str) -> None:
        raise NotImplementedError


class SecretScanner(_Pieces):
    """Feed chunks with ``feed``; ``found`` says whether a fragment was seen so far (the last
    piece is checked by ``close``, which returns the answer)."""

    def _check(self, piece: str) -> None:
        removed = hidden(piece)
        if removed:
            bounds = [0, *(i for span in removed for i in span), len(piece)]
            piece = "".join(piece[a:b] for a, b in zip(bounds[::2], bounds[1::2], strict=True))
        view = self._carry + fold(piece)
        if self._secrets._view_spans(view):
            self.found = True
        self._carry = view[-(FRAGMENT - 1) :]


class LooseScanner(_Pieces):
    """``SecretSet.contains_loose`` over chunks: ``feed`` them, ``close`` answers."""

    def _wanted(self) -> bool:
        return bool(self._secrets._loose_windows)

    def _check(self, piece: str) -> None:
        # fold and project keep one character for one (or drop it) whatever follows, so pieces
        # projected one by one make the projection of the whole
        view = self._carry + project(fold(piece))
        if self._secrets._loose_hit(view):
            self.found = True
        self._carry = view[-(FRAGMENT - 1) :]
