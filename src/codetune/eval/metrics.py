"""Scoring explanations and generated code against their references. Pure functions (javac lives in
``javac.py``, reviews in ``reviews.py``).

- explanations: the headline ``text_score`` is ROUGE-L F1 (0-100) over lower-cased words. It does not
  reward padding: a reference of n words padded with n words of anything scores 2/3 (its precision
  is 1/2), exactly what the first half of it scores (recall 1/2), and less with more padding; chrF
  with beta=2 (recall-weighted) scores the padded answer far higher, and even chrF with beta=1 favours
  it slightly, through the character n-grams the half loses at its cut. Smoothed sentence BLEU-4
  (Lin & Och's add-one, as in CodeXGLUE's code-to-text) is kept beside it, per sample, for
  comparison with published numbers; BLEU against Javadoc mostly rewards copying identifier words.
- generated code: the fenced code is pulled out of the answer, checked for a clean tree-sitter parse
  and compared token by token with the reference (comments and layout ignored).
"""

from __future__ import annotations

import difflib
import re

_FENCE = re.compile(r"```[ \t]*([\w+#-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_WORD = re.compile(r"[a-z0-9]+")


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
    """Whether ``code`` holds Java declarations that tree-sitter parses cleanly, as a compilation unit
    or as class members (imports first allowed). Comments alone are not code.

    >>> java_parses("public int size() { return n; }"), java_parses("// TODO implement")
    (True, False)
    """
    from codetune.eval.placement import parse, split_imports

    if not java_tokens(code):
        return False
    root = parse(code).root_node
    if not root.has_error:
        return True
    # A constructor on its own is not a compilation unit: parse the members in a class.
    _, members = split_imports(code)
    return not parse(f"class __Eval {{\n{members}\n}}").root_node.has_error


def words(text: str) -> list[str]:
    """Lower-cased runs of letters and digits: the units of ROUGE-L and of answer lengths.

    >>> words("Returns the SKU's base (no variant).")
    ['returns', 'the', 'sku', 's', 'base', 'no', 'variant']
    """
    return _WORD.findall(text.lower())


def _lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence (one row of the table at a time).

    >>> _lcs_length("a b c d".split(), "a c x d".split())
    3
    """
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for item in a:
        current = [0]
        for j, other in enumerate(b):
            current.append(previous[j] + 1 if item == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 over :func:`words`, 0..100 (no stemming).

    >>> rouge_l("returns the number of items", "Returns the number of items.")
    100.0
    >>> round(rouge_l("returns the items", "returns the number of items"), 1)
    75.0
    """
    a, b = words(candidate), words(reference)
    common = _lcs_length(a, b) if a and b else 0
    if not common:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 100.0 * 2 * precision * recall / (precision + recall)


def sentence_bleu(candidate: str, reference: str) -> float:
    """Smoothed sentence BLEU-4, 0..100: sacrebleu with add-one smoothing of the 2- to 4-gram
    precisions (Lin & Och 2004, CodeXGLUE's smoothed BLEU) on lower-cased 13a tokens.

    >>> round(sentence_bleu("returns the number of items", "Returns the number of items"), 1)
    100.0
    >>> sentence_bleu("abc", "xyz")
    0.0
    """
    from sacrebleu.metrics import BLEU

    scorer = BLEU(smooth_method="add-k", smooth_value=1, lowercase=True, effective_order=True)
    return float(scorer.sentence_score(candidate, [reference]).score)


def text_scores(answer: str, reference: str) -> dict[str, float]:
    """The scores of an explanation: ``text_score`` (ROUGE-L F1, the headline) and ``bleu``.

    >>> text_scores("Returns the size.", "Returns the size.")
    {'text_score': 100.0, 'bleu': 100.0}
    """
    return {
        "text_score": round(rouge_l(answer, reference), 2),
        "bleu": round(sentence_bleu(answer, reference), 2),
    }
