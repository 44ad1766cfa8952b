"""The report tests' scan results (``tests/reports/conftest.py``), for the memory tests."""

from tests.reports.conftest import curated, rich  # noqa: F401 - fixtures, by name
