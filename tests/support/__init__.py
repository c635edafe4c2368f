"""Reusable test parts: loopback servers, tiny models, fixture builders (importable as `support.*`)."""
