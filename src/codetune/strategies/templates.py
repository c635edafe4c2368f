"""Prompt wordings. Each strategy picks one per unit, deterministically, so the model meets several
phrasings of the same request and does not learn one sentence by heart.

Placeholders: ``{kind}`` (method, constructor, class, ...), ``{name}`` (``Stack.push``), ``{display}``
(``Stack.push(E)``), ``{type}`` (the declaring type), ``{file}`` (file name), ``{code}`` (a fenced block),
and per strategy ``{task}`` / ``{context}`` / ``{signature}``.
"""

from __future__ import annotations

EXPLANATION: tuple[str, ...] = (
    "Explain what this Java {kind} does.\n\n{code}",
    "What does the following {kind} from `{type}` do?\n\n{code}",
    "Can you describe the purpose of this {kind}, including its inputs, its result and the errors it can raise?\n\n{code}",
    "I found this code in `{file}`. What does `{name}` do?\n\n{code}",
    "Summarize the behavior of `{display}`:\n\n{code}",
    "{code}\n\nExplain this {kind} to a colleague who has not seen it before.",
)

GENERATION: tuple[str, ...] = (
    "Write a Java {kind} that {task}.\n\n{context}",
    "Implement the following {kind}: it {task}.\n\n{context}",
    "I need a Java {kind} that {task}. Please write it.\n\n{context}",
    "Complete this {kind} so that it {task}.\n\n{context}",
)

# Generation tasks whose summary is not a verb phrase ("The size of the list.").
GENERATION_PLAIN: tuple[str, ...] = (
    "Write the Java {kind} `{name}` described as follows: {summary}\n\n{context}",
    "Implement `{name}` in Java. Its documentation says: {summary}\n\n{context}",
)

REVIEW: tuple[str, ...] = (
    "Review this Java {kind} for bugs and bad practices. Refer to lines by number, counting from 1.\n\n{code}",
    "Can you do a code review of the following {kind}? Give the line number of each problem (the first line shown is line 1).\n\n{code}",
    "{code}\n\nWhat problems do you see in this code? Name each one with its line number, counting the first line as 1.",
    "Please check `{display}` for issues such as swallowed exceptions, resource leaks or unclear code. Number lines from 1.\n\n{code}",
)
