"""Shared fixtures: the throwaway PostgreSQL server and the two history backends
(``tests.pgserver``)."""

from tests.pgserver import history_target, pg_cluster, pg_target

__all__ = ["history_target", "pg_cluster", "pg_target"]
