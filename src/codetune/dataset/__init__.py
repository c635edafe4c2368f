"""The prepare pipeline: filters, dedup, secret scrubbing, split, validation and the report.

Importing this package imports nothing heavy; :func:`codetune.dataset.pipeline.prepare` is the entry point
and each step lives in its own module.
"""
