"""Evaluation: metrics, judging, reports and the chat/eval commands."""
