"""Tests of the escalations store: real SQLite files in tmp_path, no mocks of canipost's own code."""
