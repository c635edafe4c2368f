"""Scoring one answer against its reference, by strategy. Pure functions (javac lives in ``javac.py``).

- explanations: sentence BLEU and chrF (sacrebleu) per sample; the report aggregates corpus-level scores.
  BLEU against Javadoc rewards copying identifier words, so it is a regression signal, not a verdict.
- generated code: the fenced code is pulled out of the answer, checked for a clean tree-sitter parse and
  compared token by token with the reference (comments and layout ignored); compiling is ``javac.py``'s.
- reviews: the reference has one finding per line ("Line 12: empty catch block - ..."); recall is the share
  of those findings the answer names, precision the share of the answer's findings that match one.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

_FENCE = re.compile(r"```[ \t]*([\w+#-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)


def extract_code(text: str) -> str:
    """The code of an answer: its first ``java`` fenced block, else its first fenced block, else all of it.

    >>> extract_code("Here:\\n```java\\nint x = 1;\\n```\\nDone.")
    'int x = 1;'
    >>> extract_code("  void run() {}  ")
    'void run() {}'
    """
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(text)]
    for lang, body in blocks:
        if lang == "java":
            return body.strip()
    if blocks:
        return blocks[0][1].strip()
    return text.strip()


_JAVA_TOKEN = re.compile(
    r"//[^\n]*|/\*.*?\*/"  # comments: dropped
    r"|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'"  # literals
    r"|[A-Za-z_$][\w$]*|\d[\w.]*|>>>=?|<<=?|>>=?|[-+*/%&|^!=<>]=|&&|\|\||\+\+|--|->|::|\S",
    re.S,
)


def java_tokens(code: str) -> list[str]:
    """Java tokens with comments and whitespace dropped (for layout-blind similarity).

    >>> java_tokens("int a = b >= 1; // why")
    ['int', 'a', '=', 'b', '>=', '1', ';']
    """
    return [token for token in _JAVA_TOKEN.findall(code) if not token.startswith(("//", "/*"))]


def code_similarity(candidate: str, reference: str) -> float:
    """Similarity of two pieces of Java, 0..1: difflib's ratio over their token sequences.

    >>> code_similarity("int f() { return 1; }", "int f()\\n{\\n  return 1; // one\\n}")
    1.0
    >>> round(code_similarity("int f() { return 1; }", "int f() { return 2; }"), 2)
    0.89
    """
    a, b = java_tokens(candidate), java_tokens(reference)
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def java_parses(code: str) -> bool:
    """Whether tree-sitter parses ``code`` cleanly as a compilation unit or as class members."""
    from codetune.extract.java import syntax_errors

    if not code.strip():
        return False
    if not syntax_errors(code):
        return True
    # A method on its own is not a compilation unit: parse it as the body of a class.
    return not syntax_errors(f"class __Eval {{\n{code}\n}}")


def sentence_bleu(candidate: str, reference: str) -> float:
    """Smoothed sentence BLEU (sacrebleu, 0..100).

    >>> round(sentence_bleu("returns the number of items", "returns the number of items"), 1)
    100.0
    """
    import sacrebleu

    return float(sacrebleu.sentence_bleu(candidate, [reference]).score)


def sentence_chrf(candidate: str, reference: str) -> float:
    """chrF (sacrebleu, 0..100).

    >>> sentence_chrf("abc", "xyz")
    0.0
    """
    import sacrebleu

    return float(sacrebleu.sentence_chrf(candidate, [reference]).score)


def corpus_scores(candidates: list[str], references: list[str]) -> dict[str, float]:
    """Corpus-level BLEU and chrF of aligned lists (what the report's table shows).

    >>> corpus_scores(["a b c d e"], ["a b c d e"])
    {'bleu': 100.0, 'chrf': 100.0}
    """
    import sacrebleu

    if not candidates:
        return {}
    bleu = sacrebleu.corpus_bleu(candidates, [references]).score
    chrf = sacrebleu.corpus_chrf(candidates, [references]).score
    return {"bleu": round(float(bleu), 2), "chrf": round(float(chrf), 2)}


@dataclass(frozen=True)
class Finding:
    line: int | None
    kind: str  # "empty catch block": what the finding is, without its explanation
    text: str  # the whole line as written


_FINDING = re.compile(
    r"^\s*(?:[-*\u2022]\s*|\d+[.)]\s*)?\**line\s+(\d+)\**\s*[:.)\-\u2013\u2014]\s*(.+?)\s*$", re.I
)
_KIND_END = re.compile(r"\s+[-\u2013\u2014]\s+|:\s|\.\s|\s\(")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "is",
        "are",
        "be",
        "it",
        "this",
        "that",
        "for",
        "with",
        "and",
        "or",
        "not",
        "no",
    ]
)


def parse_findings(text: str) -> list[Finding]:
    """The "Line N: kind - why" lines of a review, in order.

    >>> parse_findings("Line 12: empty catch block - the exception is lost\\nLooks fine otherwise.")
    [Finding(line=12, kind='empty catch block', text='Line 12: empty catch block - the exception is lost')]
    """
    findings = []
    for raw in text.splitlines():
        match = _FINDING.match(raw)
        if match:
            rest = match.group(2)
            kind = _KIND_END.split(rest, maxsplit=1)[0].strip(" .*`")
            findings.append(Finding(int(match.group(1)), kind, raw.strip()))
    return findings


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOPWORDS}


def _same_word(a: str, b: str) -> bool:
    """Equal, or one extends the other (plural, past tense): a stemmer would be overkill here.

    >>> _same_word("string", "strings"), _same_word("compare", "compared"), _same_word("null", "nullable")
    (True, True, True)
    >>> _same_word("in", "int")
    False
    """
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 4 and long.startswith(short)


def _named(finding: Finding, answer_lines: list[str]) -> bool:
    """A reference finding is named by an answer line that carries most of its kind's words and does
    not point at a clearly different line (a line number more than 2 away)."""
    wanted = _words(finding.kind)
    if not wanted:
        return False
    needed = max(1, math.ceil(0.67 * len(wanted)))
    for line in answer_lines:
        have = _words(line)
        if sum(1 for word in wanted if any(_same_word(word, other) for other in have)) < needed:
            continue
        cited = [int(n) for n in re.findall(r"\bline\s+(\d+)", line, re.I)]
        if finding.line is not None and cited and all(abs(n - finding.line) > 2 for n in cited):
            continue
        return True
    return False


def review_scores(answer: str, reference: str) -> dict[str, float | int | None]:
    """Findings recall and precision of a review answer; for a clean reference (no findings), whether
    the answer also reports none.

    >>> ref = "Line 3: empty catch block - swallowed\\nLine 9: raw type - use List<String>"
    >>> review_scores("Line 3: the catch block is empty.", ref)
    {'findings': 2, 'named': 1, 'recall': 0.5, 'answer_findings': 1, 'matched': 1, 'precision': 1.0, 'clean_correct': None}
    """
    expected = parse_findings(reference)
    found = parse_findings(answer)
    lines = [line for line in answer.splitlines() if line.strip()]
    named = sum(1 for finding in expected if _named(finding, lines))
    matched = sum(1 for f in found if any(_named(e, [f.text]) for e in expected))
    return {
        "findings": len(expected),
        "named": named,
        "recall": round(named / len(expected), 4) if expected else None,
        "answer_findings": len(found),
        "matched": matched,
        "precision": round(matched / len(found), 4) if found else None,
        "clean_correct": (not found) if not expected else None,
    }


def text_scores(answer: str, reference: str) -> dict[str, float]:
    """Sentence BLEU and chrF of an explanation.

    >>> text_scores("Returns the size.", "Returns the size.")
    {'bleu': 100.0, 'chrf': 100.0}
    """
    return {
        "bleu": round(sentence_bleu(answer, reference), 2),
        "chrf": round(sentence_chrf(answer, reference), 2),
    }
