"""Reading and writing a stage's records.

PLACEHOLDER on the ``pipeline`` branch only: the data_gen branch moves ``write_records`` and
``read_records`` here from ``data_gen.runner``; until that merges, this re-exports them so the
pipeline can already import the agreed names. The lead replaces this file with the real one."""

from data_gen.runner import read_records, write_records

__all__ = ["read_records", "write_records"]
