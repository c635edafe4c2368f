"""A merged Hugging Face Llama model as one GGUF file, the format llama.cpp and Ollama read.

Written with the ``gguf`` library (its writer, its tensor names, its Q8_0 quantizer); what this module
decides is what llama.cpp expects of a Llama:

- tensor names: ``model.layers.3.self_attn.q_proj.weight`` is ``blk.3.attn_q.weight``, and so on;
- the rotary layout: Hugging Face's Llama rotates the first half of each head's dimensions against the
  second half, llama.cpp's rotates adjacent pairs, so the rows of the query and key projections are
  reordered per head (:func:`rope_permute`);
- which tensors are quantized: 2-D weights whose rows split into 32-value blocks become Q8_0 (otherwise
  F16), 1-D norms stay F32, as llama.cpp's own converter does;
- the tokenizer as metadata: the byte-level BPE vocabulary and merges, token types, the special ids, the
  pre-tokenizer by llama.cpp's name for it, and the chat template used in training.

Only shapes this module can state exactly are written; anything else is refused in one line, naming what
is supported (the merged Hugging Face directory works for every model).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codetune.errors import InputError

if TYPE_CHECKING:
    import numpy as np

# Hugging Face architecture -> llama.cpp architecture
SUPPORTED_ARCHITECTURES = {"LlamaForCausalLM": "llama"}
QUANTS = ("q8_0", "f16")
MERGED_HINT = "use --format merged: a Hugging Face directory works for every model (vLLM, TGI, transformers)"

_LAYER_TENSORS = {  # inside model.layers.N.
    "input_layernorm.weight": "ATTN_NORM",
    "self_attn.q_proj.weight": "ATTN_Q",
    "self_attn.k_proj.weight": "ATTN_K",
    "self_attn.v_proj.weight": "ATTN_V",
    "self_attn.o_proj.weight": "ATTN_OUT",
    "post_attention_layernorm.weight": "FFN_NORM",
    "mlp.gate_proj.weight": "FFN_GATE",
    "mlp.up_proj.weight": "FFN_UP",
    "mlp.down_proj.weight": "FFN_DOWN",
}
_MODEL_TENSORS = {
    "model.embed_tokens.weight": "TOKEN_EMBD",
    "model.norm.weight": "OUTPUT_NORM",
    "lm_head.weight": "OUTPUT",
}


def unsupported(reason: str) -> InputError:
    supported = ", ".join(sorted(SUPPORTED_ARCHITECTURES))
    return InputError(f"cannot write GGUF: {reason} (GGUF export supports {supported})", hint=MERGED_HINT)


def check_supported(config: Any) -> str:
    """llama.cpp's architecture name for a transformers config, or an error naming what is supported."""
    architectures = list(getattr(config, "architectures", None) or [])
    architecture = architectures[0] if architectures else type(config).__name__
    if architecture not in SUPPORTED_ARCHITECTURES:
        raise unsupported(f"the model is a {architecture}")
    rope = dict(getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {})
    rope_type = rope.get("rope_type") or rope.get("type") or "default"
    if rope_type not in ("default", "linear"):
        raise unsupported(f"its rotary embedding uses '{rope_type}' scaling")
    if getattr(config, "attention_bias", False) or getattr(config, "mlp_bias", False):
        raise unsupported("its attention or MLP layers have biases")
    return SUPPORTED_ARCHITECTURES[architecture]


def gguf_tensor_name(name: str) -> str | None:
    """llama.cpp's name for a Hugging Face Llama tensor (None: not stored, like rotary caches).

    >>> gguf_tensor_name("model.layers.3.self_attn.q_proj.weight")
    'blk.3.attn_q.weight'
    >>> gguf_tensor_name("model.embed_tokens.weight"), gguf_tensor_name("model.layers.0.self_attn.rotary_emb.inv_freq")
    ('token_embd.weight', None)
    """
    import gguf

    if name.endswith("rotary_emb.inv_freq"):
        return None
    if name in _MODEL_TENSORS:
        return gguf.TENSOR_NAMES[gguf.MODEL_TENSOR[_MODEL_TENSORS[name]]] + ".weight"
    prefix, _, rest = name.partition("model.layers.")
    block, _, inner = rest.partition(".")
    if prefix or not block.isdigit() or inner not in _LAYER_TENSORS:
        raise unsupported(f"it has a tensor {name} that a Llama does not")
    return gguf.TENSOR_NAMES[gguf.MODEL_TENSOR[_LAYER_TENSORS[inner]]].format(bid=int(block)) + ".weight"


def rope_permute(weights: np.ndarray, heads: int) -> np.ndarray:
    """Reorder a query/key projection's rows from Hugging Face's rotary layout to llama.cpp's.

    Per head, Hugging Face pairs dimension ``i`` with ``i + d/2``; llama.cpp pairs ``2i`` with ``2i + 1``.
    Row ``i`` of a head's first half goes to ``2i``, row ``i + d/2`` to ``2i + 1``.

    >>> import numpy as np
    >>> rope_permute(np.arange(8).reshape(8, 1), heads=2)[:, 0].tolist()
    [0, 2, 1, 3, 4, 6, 5, 7]
    """
    rows = weights.shape[0]
    half = rows // heads // 2
    return weights.reshape(heads, 2, half, *weights.shape[1:]).swapaxes(1, 2).reshape(weights.shape)


def storage_type(shape: tuple[int, ...], quant: str) -> Any:
    """The GGML type a tensor is stored as: norms F32; matrices Q8_0 where rows split into blocks, else F16.

    >>> storage_type((576,), "q8_0").name, storage_type((192, 576), "q8_0").name, storage_type((4, 40), "q8_0").name
    ('F32', 'Q8_0', 'F16')
    """
    import gguf

    types = gguf.GGMLQuantizationType
    if len(shape) == 1:
        return types.F32
    block_size = gguf.GGML_QUANT_SIZES[types.Q8_0][0]
    if quant == "q8_0" and shape[-1] % block_size == 0:
        return types.Q8_0
    return types.F16


# -- tokenizer -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenizerMetadata:
    tokens: list[str]
    token_types: list[int]
    merges: list[str]
    pre: str  # llama.cpp's name for how text is split before BPE
    bos_id: int | None
    eos_id: int  # the end-of-turn token: generation stops on it
    unk_id: int | None
    pad_id: int | None
    add_bos: bool
    chat_template: str


def llama_cpp_pre(pre_tokenizer: Mapping[str, Any] | None) -> str | None:
    """llama.cpp's name for a byte-level pre-tokenizer that splits text exactly the same way, or None.

    >>> llama_cpp_pre({"type": "ByteLevel", "add_prefix_space": False, "use_regex": True})
    'gpt-2'
    >>> llama_cpp_pre({"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True},
    ...     {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True}]})
    'starcoder'
    >>> llama_cpp_pre({"type": "Split", "pattern": {"Regex": "..."}}) is None
    True
    """

    def gpt2_split(step: Mapping[str, Any]) -> bool:
        return (
            step.get("type") == "ByteLevel"
            and bool(step.get("use_regex"))
            and not step.get("add_prefix_space")
        )

    if not pre_tokenizer:
        return None
    if gpt2_split(pre_tokenizer):
        return "gpt-2"  # GPT-2's regular expression, which ByteLevel applies
    steps = pre_tokenizer.get("pretokenizers") or []
    if (
        pre_tokenizer.get("type") == "Sequence"
        and len(steps) == 2
        and steps[0].get("type") == "Digits"
        and steps[0].get("individual_digits")
        and gpt2_split(steps[1])
    ):
        return "starcoder"  # every digit alone, then GPT-2's expression
    return None


def tokenizer_metadata(tokenizer: Any, *, vocab_size: int, end_of_turn: str) -> TokenizerMetadata:
    """The GGUF tokenizer fields of a fast (``tokenizers``) byte-level BPE tokenizer."""
    import gguf

    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    model = spec.get("model") or {}
    pre = llama_cpp_pre(spec.get("pre_tokenizer"))
    if model.get("type") != "BPE" or model.get("byte_fallback") or spec.get("normalizer") or pre is None:
        raise unsupported("its tokenizer is not a byte-level BPE with GPT-2's or StarCoder's pre-tokenizer")
    by_id = {index: token for token, index in model["vocab"].items()}
    added = {entry["id"]: entry for entry in spec.get("added_tokens") or []}
    for index, entry in added.items():
        by_id[index] = entry["content"]
    if max(by_id) >= vocab_size:
        raise unsupported(
            f"its tokenizer has ids up to {max(by_id)} but the model only {vocab_size} embeddings"
        )
    types = gguf.TokenType
    tokens, token_types = [], []
    for index in range(vocab_size):
        if index not in by_id:  # embedding rows no token uses (vocabularies padded to a round size)
            tokens.append(f"[PAD{index}]")
            token_types.append(types.UNUSED)
        elif index in added:
            tokens.append(by_id[index])
            token_types.append(types.CONTROL if added[index]["special"] else types.USER_DEFINED)
        else:
            tokens.append(by_id[index])
            token_types.append(types.NORMAL)
    merges = [merge if isinstance(merge, str) else " ".join(merge) for merge in model.get("merges") or []]
    end_of_turn_id = tokenizer.convert_tokens_to_ids(end_of_turn)
    probe = tokenizer("a").input_ids  # does encoding text add a beginning-of-sequence token?
    return TokenizerMetadata(
        tokens=tokens,
        token_types=[int(kind) for kind in token_types],
        merges=merges,
        pre=pre,
        bos_id=tokenizer.bos_token_id,
        eos_id=int(end_of_turn_id),
        unk_id=tokenizer.unk_token_id,
        pad_id=tokenizer.pad_token_id,
        add_bos=bool(probe) and tokenizer.bos_token_id is not None and probe[0] == tokenizer.bos_token_id,
        chat_template=str(tokenizer.chat_template or ""),
    )


# -- the file --------------------------------------------------------------------------------------------


def _add_hyperparameters(writer: Any, config: Any) -> None:
    import gguf

    heads = config.num_attention_heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    rope = dict(getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {})
    theta = rope.get("rope_theta", getattr(config, "rope_theta", 10000.0))
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(heads)
    writer.add_head_count_kv(config.num_key_value_heads or heads)
    writer.add_rope_freq_base(float(theta))
    writer.add_layer_norm_rms_eps(float(config.rms_norm_eps))
    writer.add_rope_dimension_count(head_dim)
    writer.add_vocab_size(config.vocab_size)
    if head_dim * heads != config.hidden_size:
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
    if (rope.get("rope_type") or rope.get("type")) == "linear":
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(float(rope["factor"]))


def _add_tokenizer(writer: Any, meta: TokenizerMetadata) -> None:
    writer.add_tokenizer_model("gpt2")  # llama.cpp's name for byte-level BPE
    writer.add_tokenizer_pre(meta.pre)
    writer.add_token_list(meta.tokens)
    writer.add_token_types(meta.token_types)
    writer.add_token_merges(meta.merges)
    if meta.bos_id is not None:
        writer.add_bos_token_id(meta.bos_id)
    writer.add_eos_token_id(meta.eos_id)
    writer.add_eot_token_id(meta.eos_id)  # llama.cpp's chat examples stop on the end-of-turn token
    if meta.unk_id is not None:
        writer.add_unk_token_id(meta.unk_id)
    if meta.pad_id is not None:
        writer.add_pad_token_id(meta.pad_id)
    writer.add_add_bos_token(meta.add_bos)
    writer.add_add_eos_token(False)
    if meta.chat_template:
        writer.add_chat_template(meta.chat_template)


def write_gguf(
    path: Path,
    state: Mapping[str, Any],
    config: Any,
    tokenizer: TokenizerMetadata,
    *,
    quant: str,
    name: str,
    on_tensor: Callable[[int, int], None] | None = None,
) -> None:
    """Write ``state`` (a merged Llama's tensors, by Hugging Face name) as a GGUF file at ``path``.

    ``on_tensor(done, total)`` is called after each tensor is converted (quantizing is the slow part).
    """
    import gguf
    import torch

    architecture = check_supported(config)
    if quant not in QUANTS:
        raise InputError(f"unknown quantization '{quant}'", hint=f"choose one of: {', '.join(QUANTS)}")
    heads = config.num_attention_heads
    kv_heads = config.num_key_value_heads or heads
    tied = bool(getattr(config, "tie_word_embeddings", False))
    names = [key for key in state if not (tied and key == "lm_head.weight")]

    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_name(name)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0 if quant == "q8_0" else gguf.LlamaFileType.MOSTLY_F16)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    _add_hyperparameters(writer, config)
    _add_tokenizer(writer, tokenizer)
    for done, key in enumerate(names, start=1):
        target = gguf_tensor_name(key)
        if target is not None:
            data = state[key].detach().to(torch.float32).cpu().numpy()
            if key.endswith("q_proj.weight"):
                data = rope_permute(data, heads)
            elif key.endswith("k_proj.weight"):
                data = rope_permute(data, kv_heads)
            kind = storage_type(tuple(data.shape), quant)
            writer.add_tensor(target, gguf.quants.quantize(data, kind), raw_dtype=kind)
        if on_tensor is not None:
            on_tensor(done, len(names))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def estimated_bytes(parameters: int, quant: str) -> int:
    """About how large the file for a model of ``parameters`` weights is (Q8_0: 34 bytes per 32 weights).

    >>> estimated_bytes(134_515_008, "q8_0") // 2**20, estimated_bytes(134_515_008, "f16") // 2**20
    (144, 264)
    """
    per_weight = 34 / 32 if quant == "q8_0" else 2.0
    return int(parameters * per_weight) + 8 * 2**20  # + the vocabulary and merges
