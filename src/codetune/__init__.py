"""codetune: turn a Java codebase into a fine-tuned code LLM, and show what the tuning bought.

Importing this package is cheap on purpose: torch, transformers, google-genai and tree-sitter are
imported by the modules that need them, when they need them, so ``codetune --help`` stays instant.
"""

__version__ = "0.1.0"
