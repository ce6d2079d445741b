"""Checks that make generated test suites trustworthy (issue 15): checkers for multi-answer tasks,
program repair, brute-force cross-checks, mutation-tested suites, output balance and benchmark
decontamination. The stages (``tests``, ``verify``, ``filter``, ``export``) call these; the pure
parts live here so they can be tested and reused without a pipeline run."""
