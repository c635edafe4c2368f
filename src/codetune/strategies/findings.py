"""What a review check reports: the catalogue of checks (stable titles and reasons) and the finding record."""

from __future__ import annotations

from dataclasses import dataclass

# check id -> (title, why it matters). Titles are stable: evaluation matches them in answers.
CHECKS: dict[str, tuple[str, str]] = {
    "empty_catch": (
        "empty catch block",
        "the exception is silently ignored, so failures go unnoticed; handle it, log it, or explain in a comment why it is safe to ignore",
    ),
    "broad_catch": (
        "catching {what}",
        "it also catches unexpected runtime errors and hides bugs; catch the specific exceptions the code can throw",
    ),
    "swallowed_interrupt": (
        "swallowed InterruptedException",
        "the thread's interrupted status is lost, so callers cannot stop it; call Thread.currentThread().interrupt() or rethrow",
    ),
    "print_stack_trace": (
        "printStackTrace in library code",
        "the trace goes to standard error where callers cannot see or handle it; use a logger or propagate the exception",
    ),
    "system_out": (
        "{what} in library code",
        "library code should not write to the console; use a logger or return the information to the caller",
    ),
    "string_identity": (
        "string compared with {what}",
        "{what} compares object identity, not contents, so equal strings can compare unequal; use equals()",
    ),
    "resource_leak": (
        "resource not in try-with-resources",
        "`{what}` is not closed if an exception is thrown before close(); open it in a try-with-resources statement",
    ),
    "equals_without_hashcode": (
        "equals without hashCode",
        "equal objects must have equal hash codes, so instances misbehave in HashMap and HashSet; override hashCode() too",
    ),
    "mutable_public_static": (
        "mutable public static field",
        "any code can change `{what}` at any time, which makes behaviour unpredictable and unsafe across threads; make it final or private",
    ),
    "long_method": (
        "very long method",
        "{what} lines are hard to read, test and change; split it into smaller methods",
    ),
    "deep_nesting": (
        "deep nesting",
        "control flow nested {what} levels deep is hard to follow; return early or extract methods",
    ),
    "magic_number": (
        "magic number {what}",
        "an unexplained literal hides its meaning and is easy to change inconsistently; use a named constant",
    ),
    "missing_javadoc": (
        "missing Javadoc on public API",
        "callers of a public {what} need to know what it does, its parameters and its errors; document it",
    ),
}


@dataclass(frozen=True)
class Finding:
    line: int  # 1-based line of the code shown to the model
    check: str
    what: str = ""

    @property
    def title(self) -> str:
        return CHECKS[self.check][0].format(what=self.what)

    @property
    def why(self) -> str:
        return CHECKS[self.check][1].format(what=self.what)

    def render(self) -> str:
        """``Line 12: empty catch block - the exception is silently ignored, ...`` (one finding per line)."""
        return f"Line {self.line}: {self.title} - {self.why}."


@dataclass(frozen=True)
class CheckLimits:
    long_method_lines: int = 60
    max_nesting: int = 4
    max_magic_numbers: int = 2
    max_per_check: int = 2
