"""The one exception family the library raises for problems a user can fix.

``cli.app.main`` is the single boundary that turns these into one line plus a hint and a non-zero
exit; anything else that escapes is a bug and gets a traceback.
"""

from __future__ import annotations

from types import ModuleType


class CodetuneError(Exception):
    """A problem the user can act on. ``hint`` says how."""

    exit_code = 1
    transient = False  # True: worth retrying later (quota, 5xx, timeouts); polling loops back off

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(CodetuneError):
    """config/config.yaml or a command-line option is invalid."""

    exit_code = 2


class InputError(CodetuneError):
    """Input files or directories are missing or unusable."""

    exit_code = 2


class DataError(CodetuneError):
    """A dataset file does not meet the target's format or limits."""


class BackendError(CodetuneError):
    """A training or inference backend failed (wraps provider errors, keeping ``__cause__``)."""


class TransientBackendError(BackendError):
    """A provider failure that may go away by itself (429, 5xx, timeouts, a dropped connection)."""

    transient = True


class JobError(CodetuneError):
    """A tuning job could not be found, resumed or controlled."""


class ConfirmationRequired(CodetuneError):
    """Something would cost money or upload data and nobody confirmed it."""

    exit_code = 3


class LockedError(CodetuneError):
    """Another codetune process holds the lock on the same output directory."""

    exit_code = 4


class MissingExtraError(CodetuneError):
    """An optional dependency group is not installed."""

    def __init__(self, extra: str, module: str) -> None:
        super().__init__(
            f"this needs the '{extra}' extra ({module} is not installed)",
            hint=f"pip install 'codetune[{extra}]'  (or: pip install -e '.[{extra}]' in a checkout)",
        )


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise a :class:`MissingExtraError` naming the extra that provides it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(extra, module) from exc


class CodetuneWarning(UserWarning):
    """Something the user should know that stops nothing; the CLI shows it as one line."""
