#!/usr/bin/env python3
"""Training speed of the local backend against plain TRL and a bare PEFT loop, on the same model and data,
and of the local backend in two processes against one.

    python bench/bench_local_training.py [--steps 8] [--rounds 2] [--model smollm2] [--data FILE]

Four ways to train the same base model (SmolLM2-135M by default) with the same LoRA (all linear layers,
the configured rank), learning rate, (global) batch size and number of steps, each in a fresh process:

- ``ours``: a real local-backend job (worker process, TRL SFTTrainer under our settings); its per-step
  tokens and seconds come from the job's ``metrics.jsonl``.
- ``ours2``: the same job data parallel in 2 processes (torchrun; gloo on a CPU, NCCL on GPUs) of half the
  batch each: the same global batch, so the same examples per step. Its tokens per second count the global
  batch over rank 0's step time. On a CPU the two processes share the cores (each takes half the threads):
  the figure shows the cost of the exchange, not a speed-up; with 2 GPUs, each process has its own.
- ``trl``: a plain TRL script with sensible settings: ``SFTTrainer`` defaults, conversational dataset,
  ``bf16=False`` (its default bf16 is emulated on a CPU, ~15x slower).
- ``bare``: a bare PEFT loop (forward, backward, AdamW step) over the same length-grouped batches as ours,
  with the model's own loss: the practical limit of the hardware.

Tokens per second count real tokens (padding excluded) over the time spent in training steps; the first
step of each run (warm-up) is left out. The machine may be shared, so the methods run interleaved over
``--rounds`` rounds (the same batches every round) and each figure takes every step at its fastest round
(load elsewhere only ever adds time); the CPU pressure printed per run says how busy the machine was.
``--same-runtime`` gives trl and bare our OpenMP setting too, to compare the training code alone.
Prints the three figures, the ratios and the padding shares, from one run. Data: ``--data`` (a prepared
Gemini JSONL file), else explanation examples built from the JDK's own sources (``lib/src.zip``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SYSTEM = "You are an expert Java developer. You explain, write and review Java code precisely and concisely."
JDK_SOURCES = ("/usr/lib/jvm/openjdk-17/lib/src.zip", "/usr/lib/jvm/default-java/lib/src.zip")
METHODS = ("ours", "ours2", "trl", "bare")


# -- data ------------------------------------------------------------------------------------------------


def jdk_examples(limit: int = 400) -> list[dict]:
    """Short "explain this method" chats from java.util's public methods and their Javadoc summaries."""
    source = next((Path(p) for p in JDK_SOURCES if Path(p).is_file()), None)
    if source is None:
        sys.exit("no JDK src.zip found: pass --data with a prepared train.jsonl")
    pattern = re.compile(
        r"/\*\*((?:(?!\*/).)*?)\*/\s*((?:public|protected)[^;{}=]*\([^;{}]*\)[^;{}]*)\{", re.S
    )
    rows = []
    with zipfile.ZipFile(source) as archive:
        names = sorted(n for n in archive.namelist() if re.match(r"java\.base/java/util/[A-Z]\w*\.java$", n))
        for name in names:
            text = archive.read(name).decode("utf-8", "replace")
            for match in pattern.finditer(text):
                doc = re.sub(r"^\s*\*\s?", "", match.group(1), flags=re.M).strip()
                summary = re.split(r"\n\s*\n|\n\s*@", doc)[0]
                summary = " ".join(
                    re.sub(r"<[^>]+>", "", re.sub(r"\{@\w+\s+([^}]*)\}", r"\1", summary)).split()
                )
                if len(summary) < 20:
                    continue
                body = "\n".join(text[match.end() : match.end() + 400].split("\n")[:8])
                code = match.group(2).strip() + " {\n" + body
                rows.append(
                    {
                        "systemInstruction": {"role": "system", "parts": [{"text": SYSTEM}]},
                        "contents": [
                            {
                                "role": "user",
                                "parts": [
                                    {"text": f"Explain what this Java method does:\n```java\n{code}\n```"}
                                ],
                            },
                            {"role": "model", "parts": [{"text": summary}]},
                        ],
                    }
                )
    random.Random(0).shuffle(rows)
    return rows[:limit]


# -- the three methods (each runs in its own process) ------------------------------------------------------


def run_ours(args: argparse.Namespace, data: Path, work: Path, processes: int = 1) -> list[tuple[int, float]]:
    import yaml

    from codetune import training
    from codetune.backends import get_backend
    from codetune.config import load_config
    from codetune.jobs import JobStore

    config_path = work / "config.yaml"
    config_path.write_text(
        yaml.safe_dump(
            {
                "training": {
                    "backend": "local",
                    "epochs": 1,
                    "adapter_size": args.rank,
                    "train_file": str(data),
                    "validation_file": "",
                },
                "local": {
                    "base_model": args.model,
                    "learning_rate": args.learning_rate,
                    "max_steps": args.steps,
                    "batch_size": args.batch_size // processes,  # the same global batch
                    "processes": processes,
                    "max_length": args.max_length,
                    "save_steps": 10_000,
                    "report_to": [],
                },
                "paths": {"runs_dir": str(work / "runs")},
            }
        )
    )
    config = load_config(config_path)
    backend = get_backend("local", config)
    store = JobStore(config.paths.runs_dir)
    record = training.submit(backend, training.build_request(config), config, store)
    while not (status := backend.status(record)).ended:
        time.sleep(0.5)
    if status.state != "SUCCEEDED":
        sys.exit(f"ours ({processes} process(es)): the job failed: {status.error}")
    run_dir = Path(record.extra["run_dir"])
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    padding = json.loads((run_dir / "tokens.json").read_text())["padding_share"]
    print(json.dumps({"padding_share": padding}), flush=True)
    return [(r["tokens"], r["step_seconds"]) for r in rows if r.get("kind") == "train"]


def _rows(data: Path) -> list[dict]:
    return [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_trl(args: argparse.Namespace, data: Path, work: Path) -> list[tuple[int, float]]:
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    from codetune.backends.local.data import chat_messages
    from codetune.formats.gemini import read_row

    path = _model_path(args.model)
    tokenizer = AutoTokenizer.from_pretrained(path)
    dataset = Dataset.from_list([{"messages": chat_messages(*read_row(row))} for row in _rows(data)])
    steps: list[tuple[int, float]] = []
    padded = [0, 0]

    class Timer(TrainerCallback):
        def on_step_begin(self, *a, **k):
            self.started = time.perf_counter()

        def on_step_end(self, *a, **k):
            steps.append((0, time.perf_counter() - self.started))

    config = SFTConfig(
        output_dir=str(work / "trl"),
        max_steps=args.steps,
        per_device_train_batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        bf16=False,  # the one change from the defaults: bf16 is emulated on a CPU
        max_length=args.max_length,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        disable_tqdm=True,
        seed=42,
    )
    trainer = SFTTrainer(
        model=AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32),
        args=config,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=LoraConfig(
            r=args.rank,
            lora_alpha=2 * args.rank,
            lora_dropout=0.05,
            target_modules="all-linear",
            task_type="CAUSAL_LM",
        ),
        callbacks=[Timer()],
    )
    original = trainer.training_step
    tokens: list[int] = []

    def counting_step(model, inputs, *rest, **kwargs):  # real and padded tokens of each batch
        mask = inputs["attention_mask"]
        tokens.append(int(mask.sum()))
        padded[0] += int(mask.numel())
        padded[1] += int(mask.sum())
        return original(model, inputs, *rest, **kwargs)

    trainer.training_step = counting_step
    trainer.train()
    print(json.dumps({"padding_share": round(1 - padded[1] / padded[0], 4)}), flush=True)
    return [(count, seconds) for count, (_, seconds) in zip(tokens, steps, strict=False)]


def run_bare(args: argparse.Namespace, data: Path, work: Path) -> list[tuple[int, float]]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from codetune.backends.local import data as data_mod

    torch.manual_seed(42)
    path = _model_path(args.model)
    tokenizer = AutoTokenizer.from_pretrained(path)
    conversations = data_mod.read_conversations(data)
    examples, _ = data_mod.encode_split(
        tokenizer,
        conversations,
        end_of_turn=tokenizer.eos_token,
        max_length=args.max_length,
        overflow="drop",
        name="train",
    )
    order = data_mod.plan_order([len(e.input_ids) for e in examples], args.batch_size, 1, 42)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    lora = LoraConfig(
        r=args.rank,
        lora_alpha=2 * args.rank,
        lora_dropout=0.05,
        target_modules="all-linear",
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, lora)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.learning_rate)
    model.train()
    steps = []
    padded = 0
    for step in range(args.steps):
        batch = [examples[i] for i in order[step * args.batch_size : (step + 1) * args.batch_size]]
        width = max(len(e.input_ids) for e in batch)
        ids = torch.full((len(batch), width), tokenizer.pad_token_id)
        labels = torch.full((len(batch), width), -100)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, example in enumerate(batch):
            ids[row, : len(example.input_ids)] = torch.tensor(example.input_ids)
            labels[row, : len(example.labels)] = torch.tensor(example.labels)
            mask[row, : len(example.input_ids)] = 1
        started = time.perf_counter()
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        steps.append((int(mask.sum()), time.perf_counter() - started))
        padded += mask.numel()
    print(json.dumps({"padding_share": round(1 - sum(t for t, _ in steps) / padded, 4)}), flush=True)
    return steps


def _model_path(spec: str) -> str:
    from codetune.backends.local import models

    return models.resolve(spec, cache_dir=models.default_cache_dir()).path


# -- orchestration ---------------------------------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"bench-{args.method}-"))
    methods = {"ours": run_ours, "ours2": partial(run_ours, processes=2), "trl": run_trl, "bare": run_bare}
    steps = methods[args.method](args, Path(args.data), work)
    print(json.dumps({"steps": steps}), flush=True)


def parse(lines: str) -> dict:
    found: dict = {}
    for line in lines.splitlines():
        if line.startswith("{"):
            try:
                found.update(json.loads(line))
            except ValueError:
                continue
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=8, help="training steps per run (the first is warm-up)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved runs of each method")
    parser.add_argument(
        "--model", default="smollm2", help="local.base_model spelling: smollm2 or a model dir"
    )
    parser.add_argument("--data", help="a prepared Gemini JSONL file (default: built from the JDK's sources)")
    parser.add_argument("--batch-size", type=int, default=4, help="global batch (even: ours2 halves it)")
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--rank", type=int, default=4, help="LoRA rank (training.adapter_size)")
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument(
        "--same-runtime",
        action="store_true",
        help="give trl and bare our OpenMP setting too (GOMP_SPINCOUNT), to compare the training code only",
    )
    parser.add_argument("--method", help=argparse.SUPPRESS)  # a child process runs one method
    args = parser.parse_args()
    if args.method:
        child(args)
        return

    if not args.data:
        data_dir = Path(tempfile.mkdtemp(prefix="bench-data-"))
        args.data = str(data_dir / "train.jsonl")
        Path(args.data).write_text("".join(json.dumps(r) + "\n" for r in jdk_examples()), encoding="utf-8")
    _model_path(args.model)  # convert the GGUF once, before any timing
    methods = [m for m in args.methods.split(",") if m]
    if "ours2" in methods and args.batch_size % 2:
        sys.exit(
            f"--batch-size {args.batch_size}: ours2 trains half of it in each of 2 processes; give an even one"
        )
    runs: dict[str, list[list[tuple[int, float]]]] = {m: [] for m in methods}
    padding: dict[str, float] = {}
    for round_number in range(args.rounds):
        rotation = methods[round_number % len(methods) :] + methods[: round_number % len(methods)]
        for method in rotation:
            command = [sys.executable, __file__, *sys.argv[1:], "--method", method, "--data", args.data]
            started, stalled = time.monotonic(), cpu_stall_microseconds()
            environment = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
            if args.same_runtime:
                from codetune.backends.local.hardware import runtime_environment

                environment = runtime_environment(environment)
            result = subprocess.run(command, capture_output=True, text=True, env=environment)
            seconds = time.monotonic() - started
            found = parse(result.stdout)
            if result.returncode != 0 or "steps" not in found:
                sys.exit(f"{method} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
            steps = [(int(t), float(s)) for t, s in found["steps"]][1:]  # step 1 warms caches and allocators
            runs[method].append(steps)
            padding[method] = found.get("padding_share", padding.get(method, 0.0))
            rates = [t / s for t, s in steps if s > 0]
            pressure = ""
            if stalled is not None and (now := cpu_stall_microseconds()) is not None:
                pressure = f", CPU pressure {(now - stalled) / (seconds * 1e6):.0%}"
            print(
                f"round {round_number + 1} {method:>4}: median {statistics.median(rates):7.1f} tokens/s over "
                f"{len(rates)} steps ({seconds:.0f}s{pressure})",
                flush=True,
            )

    print()
    print(
        f"model {args.model}, batch {args.batch_size}, LoRA r={args.rank} on all linear layers, "
        f"{args.steps} steps x {args.rounds} rounds"
    )
    best = {method: best_rate(runs[method]) for method in methods}
    for method in methods:
        every = [t / s for steps in runs[method] for t, s in steps if s > 0]
        print(
            f"{method:>5}: {best[method]:7.1f} tokens/s (each step's best round; median of all steps "
            f"{statistics.median(every):6.1f})   padding {padding.get(method, 0.0):.1%}"
        )
    if "ours" in methods:
        for other in (m for m in methods if m not in ("ours", "ours2")):
            print(f"ours / {other}: {best['ours'] / best[other]:.2f}x")
        if "ours2" in methods:
            print(f"ours in 2 processes / ours in 1 (same global batch): {best['ours2'] / best['ours']:.2f}x")


def best_rate(rounds: list[list[tuple[int, float]]]) -> float:
    """Tokens per second with each step timed by its fastest round: load elsewhere only ever adds time.

    >>> best_rate([[(100, 2.0), (50, 1.0)], [(100, 1.0), (50, 5.0)]])
    75.0
    """
    count = min(len(steps) for steps in rounds)
    tokens = sum(rounds[0][i][0] for i in range(count))
    seconds = sum(min(steps[i][1] for steps in rounds) for i in range(count))
    return tokens / seconds


def cpu_stall_microseconds() -> int | None:
    """Linux pressure stall information: total time some task waited for a CPU (others' load shows here)."""
    try:
        first = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
    fields = dict(part.split("=") for part in first.split()[1:])
    return int(fields["total"])


if __name__ == "__main__":
    main()
