"""``python -m auditor`` runs the command line."""

from __future__ import annotations

from auditor.cli import main

main()
