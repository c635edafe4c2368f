"""Plain-text formatting shared by the library's messages and the command line (no rich markup here)."""

from __future__ import annotations


def fmt_seconds(seconds: float | None) -> str:
    """``75.2`` -> ``1m15s``.

    >>> fmt_seconds(75.2), fmt_seconds(3725), fmt_seconds(None)
    ('1m15s', '1h02m', '-')
    """
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


def fmt_money(amount: float | None) -> str:
    """A USD amount.

    >>> fmt_money(1234.5), fmt_money(None)
    ('$1,234.50', '-')
    """
    return "-" if amount is None else f"${amount:,.2f}"
