"""What an evaluation will send to paid models, estimated before anything is sent.

``codetune eval`` (tuned vs base, or ``--checkpoints``) on Vertex AI, or with a Gemini judge, shows this and
asks first, as ``train`` does (:mod:`codetune.spend` prices it). The estimate is an upper bound: it counts
every sampled prompt even where answers are already saved from an interrupted run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from codetune.spend import PlannedRequests

if TYPE_CHECKING:
    from codetune.backends.base import GenerationOptions
    from codetune.chat import Target
    from codetune.config import Config
    from codetune.eval.samples import EvalSample
    from codetune.spend import SpendEstimate


def _prompt_tokens(sample: EvalSample) -> int:
    from codetune.tokens import estimate_tokens

    return estimate_tokens(sample.system or "") + sum(estimate_tokens(m.text) for m in sample.prompt)


def _output_tokens(model: str, options: GenerationOptions) -> int:
    """At most what one answer is billed for: its tokens, or the thinking a model cannot turn off."""
    from codetune.backends.vertex_models import thinking_budget_for

    return max(options.max_output_tokens, thinking_budget_for(model, options.thinking_budget) or 0)


def plan_answers(
    purpose: str, model: str, samples: Sequence[EvalSample], options: GenerationOptions, *, times: int = 1
) -> PlannedRequests:
    """``times`` models billed as ``model`` answering every sample."""
    return PlannedRequests(
        purpose,
        model,
        len(samples) * times,
        sum(_prompt_tokens(s) for s in samples) * times,
        len(samples) * times * _output_tokens(model, options),
    )


def plan_judge(
    model: str,
    samples: Sequence[EvalSample],
    options: GenerationOptions,
    judge_options: GenerationOptions,
    *,
    pairs: int = 1,
) -> PlannedRequests:
    """The judge seeing ``pairs`` pairs of answers per sample, each pair in both orders."""
    from codetune.eval.judge import JUDGE_SYSTEM, judge_prompt
    from codetune.tokens import estimate_tokens

    per_sample = [
        estimate_tokens(JUDGE_SYSTEM)
        + estimate_tokens(judge_prompt(s, "", ""))
        + 2 * options.max_output_tokens
        for s in samples
    ]
    requests = 2 * len(samples) * pairs
    return PlannedRequests(
        f"judge ({pairs} pair{'s' if pairs != 1 else ''} per sample, both orders)",
        model,
        requests,
        2 * pairs * sum(per_sample),
        requests * _output_tokens(model, judge_options),
    )


def tuned_billing(config: Config, target: Target) -> str:
    """The model a tuned model's requests are billed as: its base model."""
    trained = (target.record.config.get("training") or {}) if target.record is not None else {}
    return str(trained.get("base_model") or config.training.base_model)


def judge_billing(config: Config, spec: str, target: Target) -> tuple[str, bool]:
    """The model a judge ``spec`` is billed as, and whether it is paid."""
    from codetune.backends import get_backend
    from codetune.chat import resolve_target

    if spec == "base":
        return config.testing.compare_model, bool(get_backend(target.backend, config).paid)
    if spec.startswith(("gemini", "publishers/")):
        return spec.rsplit("/", 1)[-1], bool(get_backend("vertex", config).paid)
    judge = resolve_target(config, spec)
    return tuned_billing(config, judge), bool(get_backend(judge.backend, config).paid)


def plan_eval(
    config: Config,
    target: Target,
    samples: Sequence[EvalSample],
    *,
    judge: str | None,
    options: GenerationOptions,
    judge_options: GenerationOptions,
    checkpoints: int = 0,
    compare: bool = True,
) -> SpendEstimate | None:
    """The paid requests of an evaluation of ``target`` against its base model (only ``target`` without
    ``compare``; or its ``checkpoints`` each against the base model), judged by ``judge``; None when none
    of its models is paid."""
    from codetune.backends import get_backend
    from codetune.spend import estimate_spend

    planned = []
    if get_backend(target.backend, config).paid:
        tuned = tuned_billing(config, target)
        if checkpoints:
            planned.append(
                plan_answers(
                    f"{checkpoints} checkpoints' answers", tuned, samples, options, times=checkpoints
                )
            )
        else:
            planned.append(plan_answers("tuned model answers", tuned, samples, options))
        if compare:
            planned.append(plan_answers("base model answers", config.testing.compare_model, samples, options))
    if judge is not None:
        model, paid = judge_billing(config, judge, target)
        if paid:
            planned.append(plan_judge(model, samples, options, judge_options, pairs=max(1, checkpoints)))
    return estimate_spend(config, planned) if planned else None
