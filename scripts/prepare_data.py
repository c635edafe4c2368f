#!/usr/bin/env python3
"""Step 1: Java sources -> data/processed/train.jsonl and validation.jsonl.

The seed's entry point, kept working exactly; it is `codetune prepare` with the same options.
"""

import sys
from pathlib import Path

# Run from a checkout without installing: make src/ importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from codetune.cli.app import main  # noqa: E402

if __name__ == "__main__":
    main(["prepare", *sys.argv[1:]], prog_name="prepare_data.py")
