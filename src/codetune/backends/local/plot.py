"""The loss curve of a local job as a PNG (training loss per step, evaluation loss at its steps)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def loss_series(rows: Sequence[dict[str, Any]]) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """(step, training loss) and (step, evaluation loss) points from metrics rows.

    >>> loss_series([{"kind": "eval", "step": 0, "eval_loss": 2.0}, {"kind": "train", "step": 1, "loss": 1.5}])
    ([(1, 1.5)], [(0, 2.0)])
    """
    train = [
        (int(r["step"]), float(r["loss"]))
        for r in rows
        if r.get("kind") == "train" and r.get("loss") is not None
    ]
    evaluation = [
        (int(r["step"]), float(r["eval_loss"]))
        for r in rows
        if r.get("kind") == "eval" and r.get("eval_loss") is not None
    ]
    return train, evaluation


def plot_losses(rows: Sequence[dict[str, Any]], path: Path, *, title: str = "loss") -> Path:
    """Write the loss plot to ``path`` (atomically; matplotlib's non-interactive backend)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from codetune.io import write_bytes

    train, evaluation = loss_series(rows)
    figure, axes = plt.subplots(figsize=(7, 4), dpi=100)
    try:
        if train:
            axes.plot(*zip(*train, strict=True), label="training loss", color="tab:blue", linewidth=1)
        if evaluation:
            axes.plot(*zip(*evaluation, strict=True), label="validation loss", color="tab:orange", marker="o")
        axes.set_xlabel("step")
        axes.set_ylabel("loss (answer tokens)")
        axes.set_title(title)
        axes.grid(alpha=0.3)
        if train or evaluation:
            axes.legend()
        figure.tight_layout()
        buffer = io.BytesIO()
        # no timestamp in the metadata: the same metrics give the same bytes
        figure.savefig(buffer, format="png", metadata={"Software": None})
    finally:
        plt.close(figure)
    write_bytes(path, buffer.getvalue())
    return path
