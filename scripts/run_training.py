#!/usr/bin/env python3
"""Step 2: upload, start and monitor a tuning job (backend from config: local or vertex).

The seed's entry point, kept working exactly; it is `codetune train` with the same options.
"""

import sys
from pathlib import Path

# Run from a checkout without installing: make src/ importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from codetune.cli.app import main  # noqa: E402

if __name__ == "__main__":
    main(["train", *sys.argv[1:]], prog_name="run_training.py")
