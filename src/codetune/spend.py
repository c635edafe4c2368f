"""What a batch of requests to a paid model will cost, estimated before anything is sent.

An evaluation on Vertex AI (every checkpoint, the base model, the judge) and the teacher of ``prepare`` show
this estimate and ask for confirmation first, as ``train`` does. Tokens are counted without the network
(characters / 4, as for training) and labelled estimates; output tokens are an upper bound (every answer as
long as ``max_output_tokens`` allows, plus the thinking budget a model cannot turn off). Prices come from
``gcp.inference_prices_per_million_tokens``; a tuned model is billed as its base model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codetune.config import Config, TokenPrices


@dataclass(frozen=True)
class PlannedRequests:
    """Requests for one purpose to one model."""

    purpose: str  # "checkpoint 2 answers", "base model answers", "judge", "teacher"
    model: str  # the model billed: a publisher model id (a tuned endpoint bills as its base model)
    requests: int
    input_tokens: int  # estimated
    output_tokens: int  # at most


@dataclass(frozen=True)
class SpendEstimate:
    planned: tuple[PlannedRequests, ...]
    prices: Mapping[str, TokenPrices | None]

    @property
    def requests(self) -> int:
        return sum(p.requests for p in self.planned)

    @property
    def input_tokens(self) -> int:
        return sum(p.input_tokens for p in self.planned)

    @property
    def output_tokens(self) -> int:
        return sum(p.output_tokens for p in self.planned)

    def cost(self) -> float | None:
        """USD at most (output tokens are an upper bound); None when a model with requests has no price."""
        total = 0.0
        for planned in self.planned:
            price = self.prices.get(planned.model)
            if price is None:
                if planned.requests:
                    return None
                continue
            total += (planned.input_tokens * price.input + planned.output_tokens * price.output) / 1_000_000
        return total

    def rows(self) -> list[tuple[str, str]]:
        """What is shown before confirming: requests per purpose, tokens, prices and the cost.

        >>> from codetune.config import TokenPrices
        >>> estimate = SpendEstimate(
        ...     (PlannedRequests("teacher", "gemini-2.5-pro", 10, 4_000, 5_120),),
        ...     {"gemini-2.5-pro": TokenPrices(input=1.25, output=10.0)},
        ... )
        >>> for label, value in estimate.rows():
        ...     print(f"{label}: {value}")
        teacher: 10 requests to gemini-2.5-pro
        input tokens (estimate): ~4,000
        output tokens (at most): 5,120
        price gemini-2.5-pro: $1.25 / $10.00 per 1M input / output tokens
        cost (at most, estimate): ~$0.06
        """
        rows = [(p.purpose, f"{p.requests:,} requests to {p.model}") for p in self.planned if p.requests]
        rows.append(("input tokens (estimate)", f"~{self.input_tokens:,}"))
        rows.append(("output tokens (at most)", f"{self.output_tokens:,}"))
        for model in dict.fromkeys(p.model for p in self.planned if p.requests):
            price = self.prices.get(model)
            rows.append(
                (
                    f"price {model}",
                    f"${price.input:.2f} / ${price.output:.2f} per 1M input / output tokens"
                    if price is not None
                    else "unknown (add it to gcp.inference_prices_per_million_tokens)",
                )
            )
        from codetune.backends.vertex import format_cost

        rows.append(("cost (at most, estimate)", format_cost(self.cost())))
        return rows


def price_of(config: Config, model: str) -> TokenPrices | None:
    """The configured inference price of a publisher model (``publishers/google/models/M`` or ``M``)."""
    prices = config.gcp.inference_prices_per_million_tokens
    return prices.get(model) or prices.get(model.rsplit("/", 1)[-1])


def estimate_spend(config: Config, planned: list[PlannedRequests]) -> SpendEstimate:
    """The estimate for ``planned`` with the configured prices."""
    return SpendEstimate(tuple(planned), {p.model: price_of(config, p.model) for p in planned})
