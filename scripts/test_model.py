#!/usr/bin/env python3
"""Step 3: talk to the tuned model (-p, -i, --compare).

The seed's entry point, kept working exactly; it is `codetune test` with the same options.
"""

import sys
from pathlib import Path

# Run from a checkout without installing: make src/ importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from codetune.cli.app import main  # noqa: E402

if __name__ == "__main__":
    main(["test", *sys.argv[1:]], prog_name="test_model.py")
