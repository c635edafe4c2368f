#!/usr/bin/env python3
"""Eval generation speed: the way `codetune eval` generates (batched) against one prompt at a time.

    python bench/bench_eval.py [--prompts 16] [--max-tokens N] [--batch-size N] [--adapter DIR] [--merged]

Both generate the same answers: the bundled SmolLM2-135M-Instruct with a LoRA adapter on every linear
layer (the tuned side of an eval; ``--adapter`` takes a trained one, else a fresh adapter of the configured
rank, which costs the same to run), loaded the way `codetune eval` loads it, greedy decoding,
``testing.eval_max_output_tokens`` new tokens at most (128 by default), on ``--prompts`` validation prompts
(16 by default) picked the way `codetune eval --limit` picks them from ``data/processed/validation.jsonl``;
without it, the shipped sample project (``data/raw``) is prepared into a temporary directory first.

- ``eval``: :func:`codetune.eval.evaluate.evaluate` as `codetune eval` calls it (compile checks off): the
  prompts sorted by length, left-padded batches of ``testing.eval_batch_size`` with the KV cache, each
  answer cut at its own end-of-turn token, scored and saved as it comes.
- ``single``: ``generate()`` one prompt after another, the same model object.
- ``merged`` (with ``--merged``): the eval path with the adapter merged into the weights for the run
  (merged back out afterwards), to see what merging would buy.

Then the held-out loss of every validation reference, tuned and base (``--no-heldout`` skips it), timed.
Prints answers/s and tokens/s of each, whether the answers are identical (text and token counts), the
CPU load while it ran (the machine may be shared: every figure is from this run), and as its last line
``speedup N.NNx``: eval answers/s over single answers/s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def validation_file(workdir: Path) -> Path:
    """The prepared validation set; the shipped sample prepared into ``workdir`` when there is none."""
    prepared = ROOT / "data" / "processed" / "validation.jsonl"
    if prepared.is_file():
        return prepared
    output = workdir / "processed"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "prepare_data.py"),
            "-s",
            str(ROOT / "data" / "raw"),
            "-o",
            str(output),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return output / "validation.jsonl"


def fresh_adapter(config: Any, directory: Path) -> Path:
    """A LoRA adapter as training makes it (rank ``training.adapter_size``, every linear layer), untrained."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from codetune.backends.local import models
    from codetune.backends.local.rundir import ADAPTER_INFO

    base = models.resolve(config.local.base_model, cache_dir=models.default_cache_dir(config.local.cache_dir))
    rank = config.training.adapter_size
    lora = LoraConfig(r=rank, lora_alpha=2 * rank, target_modules="all-linear", task_type="CAUSAL_LM")
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(base.path, dtype=torch.float32), lora)
    model.save_pretrained(str(directory))
    AutoTokenizer.from_pretrained(base.path).save_pretrained(str(directory))
    info = {"base_model": config.local.base_model, "base_path": base.path}
    (directory / ADAPTER_INFO).write_text(json.dumps(info), encoding="utf-8")
    return directory


def cpu_load() -> float:
    return os.getloadavg()[0]


def timed(label: str, run: Any) -> tuple[Any, float]:
    load = cpu_load()
    started = time.perf_counter()
    replies = run()
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.1f} s (load average {load:.1f} before, {cpu_load():.1f} after)", flush=True)
    return replies, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=16, help="validation prompts (default 16)")
    parser.add_argument(
        "--max-tokens", type=int, help="new tokens at most (default testing.eval_max_output_tokens)"
    )
    parser.add_argument("--batch-size", type=int, help="eval batch size (default testing.eval_batch_size)")
    parser.add_argument("--adapter", type=Path, help="a trained adapter directory (default: a fresh one)")
    parser.add_argument(
        "--merged", action="store_true", help="also time the eval path with the adapter merged"
    )
    parser.add_argument("--no-heldout", action="store_true", help="skip timing the held-out loss")
    args = parser.parse_args()

    from codetune.backends.base import GenerationOptions
    from codetune.backends.local.chat import open_chat_model
    from codetune.config import load_config
    from codetune.eval.evaluate import evaluate
    from codetune.eval.heldout import heldout_losses
    from codetune.eval.samples import load_samples, select
    from codetune.eval.scoring import ScoreContext

    config = load_config(ROOT / "config" / "config.yaml", environ={})
    testing = config.testing
    if args.batch_size:
        testing.eval_batch_size = args.batch_size
    options = GenerationOptions(
        temperature=testing.eval_temperature,
        max_output_tokens=args.max_tokens or testing.eval_max_output_tokens,
    )
    with tempfile.TemporaryDirectory(prefix="bench-eval-") as scratch:
        workdir = Path(scratch)
        data = validation_file(workdir)
        samples = select(load_samples(data), args.prompts, seed=config.data.seed)
        adapter = args.adapter or fresh_adapter(config, workdir / "adapter")
        chat = open_chat_model(config, adapter, base=False)
        print(
            f"{chat.name}: {len(samples)} prompts from {data}, greedy, <= {options.max_output_tokens} new tokens, "
            f"eval batch size {chat.batch_size}, {os.cpu_count()} CPUs",
            flush=True,
        )
        chat.generate(list(samples[0].prompt), system=samples[0].system, options=options)  # warm-up

        def eval_path(name: str) -> list[Any]:
            out = workdir / name
            evaluation = evaluate(
                samples, {"tuned": chat}, options=options, out_dir=out, context=ScoreContext(compile=False)
            )
            return [evaluation.results[(sample.id, "tuned")] for sample in samples]

        def one_at_a_time() -> list[Any]:
            replies = [chat.generate(list(s.prompt), system=s.system, options=options) for s in samples]
            return [
                {"text": r.text, "output_tokens": r.output_tokens, "finish_reason": r.finish_reason}
                for r in replies
            ]

        batched, eval_seconds = timed("eval", lambda: eval_path("eval"))
        single, single_seconds = timed("single", one_at_a_time)
        figures = {"eval": (batched, eval_seconds), "single": (single, single_seconds)}
        if args.merged:
            model = chat._model  # the PeftModel both sides share

            def merged_path() -> list[Any]:
                model.merge_adapter()
                try:
                    return eval_path("merged")
                finally:
                    model.unmerge_adapter()

            figures["merged"] = timed("merged", merged_path)
        if not args.no_heldout:
            every = load_samples(data)
            sides = {"tuned": chat, "base": open_chat_model(config, adapter, base=True)}
            held, heldout_seconds = timed(
                "held-out loss", lambda: heldout_losses(every, sides, out_dir=workdir / "heldout")
            )

    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        return row["text"], row["output_tokens"], row["finish_reason"]

    differ = [s.line for s, a, b in zip(samples, batched, single, strict=True) if key(a) != key(b)]
    stopped = sum(1 for row in single if row["finish_reason"] == "STOP")
    print(f"answers ending their turn (one at a time): {stopped} of {len(single)}; the rest hit the limit")
    for name, (rows, seconds) in figures.items():
        tokens = sum(row["output_tokens"] for row in rows)
        print(
            f"{name:>7}: {len(rows) / seconds:6.3f} answers/s  {tokens / seconds:6.1f} tokens/s  ({seconds:.1f} s)"
        )
    if "merged" in figures:
        merged_differ = [
            s.line for s, a, b in zip(samples, figures["merged"][0], single, strict=True) if key(a) != key(b)
        ]
        print(
            f"merged answers identical to one at a time: {not merged_differ} (lines differing: {merged_differ})"
        )
    if not args.no_heldout:
        tokens = sum(row["tokens"] for row in held.losses.values())
        print(
            f"held-out loss: {len(held.samples)} references x 2 sides ({tokens} answer tokens) in "
            f"{heldout_seconds:.1f} s, batches of {chat.batch_size}"
        )
    print(
        f"identical answers (eval vs one at a time): {not differ} ({len(differ)} of {len(samples)} differ: {differ})"
    )
    print(f"speedup {single_seconds / eval_seconds:.2f}x")


if __name__ == "__main__":
    main()
