"""Interrupt reports: Jira search → report records → figures → table, markdown, CSV, JSON, HTML, PNG."""
