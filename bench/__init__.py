"""Benchmarks of the HTTP server set-up; never part of the pass/fail test run."""
