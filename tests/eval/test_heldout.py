"""Held-out loss bookkeeping: both sides scored, saved to heldout.jsonl, reused and continued on a rerun,
and plainly unavailable for a model that cannot score text. (The numbers themselves are checked against
the trainer's validation loss in test_local.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codetune.backends.base import ChatRequest
from codetune.errors import BackendError
from codetune.eval.heldout import HELDOUT_NAME, heldout_losses
from codetune.eval.samples import load_samples


def _loss(side: str):
    """A deterministic fake loss per answer: lower for the tuned side."""
    offset = 1.0 if side == "tuned" else 2.0
    return lambda request, answer: offset + len(answer) / 100


def _models(fake_model, perfect):
    return {side: fake_model(f"{side}-model", perfect, score=_loss(side)) for side in ("tuned", "base")}


def test_both_sides_score_every_reference_and_a_rerun_reuses_them(
    dataset: Path, tmp_path: Path, fake_model, perfect
) -> None:
    samples = load_samples(dataset)
    models = _models(fake_model, perfect)
    seen: list[tuple[str, int, int | None]] = []
    held = heldout_losses(samples, models, out_dir=tmp_path, progress=lambda *a: seen.append(a))
    assert held.available and held.resumed == 0 and held.samples == samples
    assert set(held.losses) == {(s.id, side) for s in samples for side in ("tuned", "base")}
    first = held.losses[(samples[0].id, "tuned")]
    assert first["loss"] == pytest.approx(1.0 + len(samples[0].reference) / 100)
    assert first["tokens"] == len(samples[0].reference.split())
    assert (first["line"], first["strategy"]) == (1, "code_explanation")
    # The reference is scored as the answer to the prompt, under the row's own system instruction.
    request, answer = models["base"].scored[2]
    assert request == ChatRequest(samples[2].prompt, samples[2].system) and answer == samples[2].reference
    assert seen[0] == ("held-out loss", 0, 8) and seen[-1] == ("held-out loss", 8, 8)

    rows = [json.loads(line) for line in (tmp_path / HELDOUT_NAME).read_text().splitlines()]
    assert len(rows) == 8 and all(
        set(row) == {"line", "sample", "side", "strategy", "loss", "tokens"} for row in rows
    )
    assert "settings" in json.loads((tmp_path / "heldout.settings.json").read_text())

    again_models = _models(fake_model, perfect)
    again = heldout_losses(samples, again_models, out_dir=tmp_path)
    assert again.resumed == 8 and again.losses == held.losses
    assert again_models["tuned"].scored == [] and again_models["base"].scored == []

    # Other models: the saved scores do not apply.
    other = {side: fake_model(f"other-{side}", perfect, score=_loss(side)) for side in ("tuned", "base")}
    assert heldout_losses(samples, other, out_dir=tmp_path).resumed == 0
    assert len(other["tuned"].scored) == 4


def test_an_interrupted_scoring_continues_with_what_is_missing(
    dataset: Path, tmp_path: Path, fake_model, perfect
) -> None:
    samples = load_samples(dataset)
    calls = {"n": 0}

    def failing(request, answer):
        calls["n"] += 1
        if calls["n"] == 3:
            raise BackendError("out of memory")
        return 1.5

    models = {
        "tuned": fake_model("t", perfect, score=failing),
        "base": fake_model("b", perfect, score=failing),
    }
    with pytest.raises(BackendError) as info:
        heldout_losses(samples, models, out_dir=tmp_path)
    assert "held-out loss, tuned model" in info.value.message and "rerun to continue" in (
        info.value.hint or ""
    )
    with open(tmp_path / HELDOUT_NAME, "a", encoding="utf-8") as handle:
        handle.write('{"line": 3, "sample": "ex')  # and a kill mid-line

    models = {
        "tuned": fake_model("t", perfect, score=_loss("tuned")),
        "base": fake_model("b", perfect, score=_loss("base")),
    }
    held = heldout_losses(samples, models, out_dir=tmp_path)
    assert held.resumed == 2 and len(held.losses) == 8
    assert [answer for _, answer in models["tuned"].scored] == [s.reference for s in samples[2:]]
    assert len(models["base"].scored) == 4


def test_a_model_that_cannot_score_text_says_so(dataset: Path, tmp_path: Path, fake_model, perfect) -> None:
    samples = load_samples(dataset)
    models = {"tuned": fake_model("endpoints/1", perfect), "base": fake_model("gemini-2.5-pro", perfect)}
    held = heldout_losses(samples, models, out_dir=tmp_path / "out")
    assert not held.available and held.losses == {}
    assert "endpoints/1 and gemini-2.5-pro cannot score a given text" in (held.reason or "")
    summary = held.summary(job_page="https://console.example/job/1")
    assert summary["available"] is False and summary["job_page"] == "https://console.example/job/1"
    assert "validation loss" in summary["job_metrics"]
    assert not (tmp_path / "out" / HELDOUT_NAME).exists()
