"""Measurement scripts for the figures the issues name (run each with ``--help``)."""
