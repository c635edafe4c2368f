"""`codetune export` of a LoRA job on the tiny Llama: merged, GGUF and Ollama, each loaded back by
transformers (and by llama.cpp when llama-cpp-python is installed) and compared with the adapter model;
and what it refuses. The real SmolLM2, trained for a few steps, is in test_export_smollm2.py (slow)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from codetune.backends.local import export_plan, ollama
from codetune.backends.local.export import export_job
from codetune.backends.local.rundir import ADAPTER_INFO
from codetune.config import load_config
from codetune.errors import CodetuneError, InputError, JobError
from codetune.jobs import JobRecord, JobStore

from .conftest import SYSTEM, example_rows, write_rows

END_OF_TURN = 2  # <|im_end|> in SmolLM2's tokenizer


def make_job(root: Path, job: str, base_dir: Path, model: Any, target_modules: list[str], **lora: Any) -> str:
    """A finished local job as the backend leaves one (record, request.json, adapter/ with the tokenizer and
    codetune-adapter.json), its LoRA adapter built by PEFT with random, non-zero B so the merge matters."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    settings = LoraConfig(r=4, lora_alpha=8, target_modules=target_modules, init_lora_weights=False, **lora)
    store = JobStore(root / "runs")
    run_dir = store.job_dir(job)
    get_peft_model(model, settings).save_pretrained(run_dir / "adapter")
    tokenizer.save_pretrained(run_dir / "adapter")
    info = {"base_model": str(base_dir), "base_path": str(base_dir), "end_of_turn": "<|im_end|>", "steps": 0}
    (run_dir / "adapter" / ADAPTER_INFO).write_text(json.dumps(info))
    validation = write_rows(root / "data/processed/validation.jsonl", example_rows(6, offset=5))
    request = {"job": job, "validation_file": str(validation), "system_instruction": SYSTEM}
    (run_dir / "request.json").write_text(json.dumps(request))
    record = JobRecord(
        id=job,
        backend="local",
        fingerprint=job,
        display_name=job,
        system_instruction=SYSTEM,
        state="SUCCEEDED",
        tuned_model=job,
        extra={"run_dir": str(run_dir)},
    )
    store.save(record)
    return job


@pytest.fixture(scope="module")
def trained(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory):
    """A project whose latest job is a LoRA adapter on the tiny Llama; answers are checked on 16 generated
    tokens (testing.eval_max_output_tokens) to keep the round trips quick."""
    import torch
    from transformers import AutoModelForCausalLM

    root = tmp_path_factory.mktemp("export")
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    job = make_job(
        root, "local-tiny", tiny_model, model, ["q_proj", "k_proj", "v_proj", "o_proj", "down_proj"]
    )
    config_path = root / "config.yaml"
    config_path.write_text(
        f"paths:\n  runs_dir: {root / 'runs'}\nlocal:\n  cache_dir: {root / 'cache'}\n"
        "testing:\n  eval_max_output_tokens: 16\n"
    )
    yield load_config(config_path), JobStore(root / "runs").load(job), root


def test_merged_loads_with_plain_transformers_stops_and_answers_like_the_adapter(trained) -> None:
    import torch
    from safetensors import safe_open
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    config, record, root = trained
    result = export_job(config, None, format="merged", output=root / "out/merged", check=2)

    [check] = result.checks
    assert check.loader == "transformers AutoModelForCausalLM" and check.exact
    assert (check.answers, check.identical) == (2, 2) and check.tokens > 0 and check.token_share == 1.0
    assert result.passed and result.job == record.id and result.precision == "float32"
    directory = root / "out/merged"
    assert {
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "generation_config.json",
        "export.json",
    } <= {p.name for p in directory.iterdir()}
    assert not [p for p in (root / "out").iterdir() if p.name.startswith(".")]  # no staging left behind
    assert GenerationConfig.from_pretrained(directory).eos_token_id[0] == END_OF_TURN
    adapter = Path(record.extra["run_dir"]) / "adapter"
    assert (
        AutoTokenizer.from_pretrained(directory).chat_template
        == AutoTokenizer.from_pretrained(adapter).chat_template
    )
    saved = json.loads((directory / "export.json").read_text())
    assert saved["check"]["passed"] and saved["check"]["loaders"][0]["identical"] == 2

    # the merge matters: the merged weights are the base's plus the adapter's, not the base's
    info = json.loads((adapter / ADAPTER_INFO).read_text())
    base = AutoModelForCausalLM.from_pretrained(info["base_path"])
    merged = AutoModelForCausalLM.from_pretrained(directory)
    name = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.allclose(base.state_dict()[name], merged.state_dict()[name], atol=1e-4)

    half = export_job(config, None, format="merged", output=root / "out/bf16", dtype="bfloat16", check=0)
    with safe_open(str(root / "out/bf16/model.safetensors"), framework="pt") as handle:
        assert handle.get_tensor(name).dtype == torch.bfloat16
    assert half.checks == [] and half.files["model.safetensors"] < 0.6 * result.files["model.safetensors"]


def _metadata(path: Path) -> dict:
    from gguf import GGUFReader

    reader = GGUFReader(path)
    fields = {name: field.contents() for name, field in reader.fields.items() if not name.startswith("GGUF.")}
    fields["tensors"] = {t.name: t.tensor_type.name for t in reader.tensors}
    return fields


@pytest.mark.slow
def test_gguf_loads_back_in_transformers_and_llama_cpp_with_its_tokenizer_and_template(trained) -> None:
    from transformers import AutoTokenizer

    config, record, root = trained
    result = export_job(config, record.id, format="gguf", output=root / "out/gguf", check=2)

    assert list(result.files) == [f"{record.id}-q8_0.gguf", "export.json"] and result.precision == "q8_0"
    reader, cpp = result.checks
    assert reader.loader == "transformers GGUF reader" and reader.note is None and not reader.exact
    assert reader.answers == 2 and reader.token_share >= 0.95 and result.passed
    if cpp.skipped:
        assert "llama-cpp-python is not installed" in cpp.skipped
    else:
        assert cpp.loader.startswith("llama.cpp") and cpp.note is None  # llama.cpp tokenizes as we do
        assert cpp.token_share >= 0.95

    fields = _metadata(root / "out/gguf" / f"{record.id}-q8_0.gguf")
    adapter = Path(record.extra["run_dir"]) / "adapter"
    assert fields["general.architecture"] == "llama" and fields["llama.block_count"] == 2
    assert (fields["tokenizer.ggml.model"], fields["tokenizer.ggml.pre"]) == ("gpt2", "gpt-2")
    assert fields["tokenizer.ggml.eos_token_id"] == END_OF_TURN
    assert fields["tokenizer.ggml.add_bos_token"] is False  # the template writes <|im_start|> itself
    assert fields["tokenizer.chat_template"] == AutoTokenizer.from_pretrained(adapter).chat_template
    tensors = fields["tensors"]
    assert "output.weight" not in tensors  # tied to the embeddings, as in the model
    assert tensors["blk.1.attn_norm.weight"] == "F32"
    assert tensors["blk.1.attn_q.weight"] == tensors["token_embd.weight"] == "Q8_0"


@pytest.mark.slow
def test_f16_gguf_gives_the_same_answers_in_transformers_and_in_llama_cpp(trained) -> None:
    config, _, root = trained
    result = export_job(config, None, format="gguf", quant="f16", output=root / "out/f16", check=3)

    reader, cpp = result.checks
    assert reader.exact and (reader.answers, reader.identical, reader.token_share) == (3, 3, 1.0)
    if cpp.skipped:
        pytest.skip(cpp.skipped)
    assert cpp.loader.startswith("llama.cpp (llama-cpp-python") and cpp.note is None
    assert (cpp.answers, cpp.identical, cpp.token_share) == (3, 3, 1.0)


def _template(modelfile: str) -> str:
    match = re.search(r'^TEMPLATE """(.*?)"""$', modelfile, re.DOTALL | re.MULTILINE)
    assert match, modelfile
    return match.group(1)


def test_ollama_modelfile_renders_a_conversation_exactly_as_the_training_template(trained) -> None:
    from transformers import AutoTokenizer

    config, record, root = trained
    result = export_job(config, None, format="ollama", output=root / "out/ollama", check=0)

    assert result.checks == [] and result.run_command
    assert f"ollama create {record.id} -f Modelfile" in result.run_command
    modelfile = (root / "out/ollama/Modelfile").read_text()
    assert (
        f"FROM ./{record.id}-q8_0.gguf\n" in modelfile
        and (root / f"out/ollama/{record.id}-q8_0.gguf").is_file()
    )
    assert f'SYSTEM """{SYSTEM}"""' in modelfile
    assert 'PARAMETER stop "<|im_end|>"' in modelfile and "PARAMETER temperature 0.2" in modelfile

    tokenizer = AutoTokenizer.from_pretrained(Path(record.extra["run_dir"]) / "adapter")
    template = _template(modelfile)
    two_turns = [
        {"role": "user", "content": "Explain this method:\npublic int size() { return n; }"},
        {"role": "assistant", "content": "Returns the number of elements."},
        {"role": "user", "content": "And isEmpty()?"},
    ]
    # the GGUF beside it is the one `--format gguf` writes (and proves, above), byte for byte
    export_job(config, None, format="gguf", output=root / "out/same-gguf", check=0)
    gguf_name = f"{record.id}-q8_0.gguf"
    assert (root / "out/ollama" / gguf_name).read_bytes() == (root / "out/same-gguf" / gguf_name).read_bytes()

    for system in (SYSTEM, None):  # Ollama passes the Modelfile's SYSTEM as a system message; without one,
        messages = (
            [{"role": "system", "content": system}] if system else []
        ) + two_turns  # SmolLM2's default
        expected = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        assert ollama.render_go_template(template, system or "", messages) == expected


def test_an_existing_output_is_refused_without_force_and_replaced_whole_with_it(trained) -> None:
    config, _, root = trained
    target = root / "out/existing"
    target.mkdir(parents=True)
    (target / "mine.txt").write_text("keep me")

    with pytest.raises(InputError, match="already exists") as refused:
        export_job(config, None, format="merged", output=target, check=0)
    assert "--force" in (refused.value.hint or "") and (target / "mine.txt").read_text() == "keep me"

    export_job(config, None, format="merged", output=target, check=0, force=True)
    assert not (target / "mine.txt").exists() and (target / "model.safetensors").is_file()
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")]


def test_not_enough_disk_space_is_one_clear_error(tmp_path: Path) -> None:
    import shutil

    free = shutil.disk_usage(tmp_path).free
    with pytest.raises(InputError, match="not enough disk space") as refused:
        export_plan._check_space(tmp_path / "exports/job/merged", free + 2**30)
    assert "-o DIR" in (refused.value.hint or "")


def test_a_vertex_job_says_there_are_no_weights_and_how_to_call_its_endpoint(
    tmp_path: Path, monkeypatch
) -> None:
    from codetune.cli.app import main

    monkeypatch.chdir(tmp_path)
    endpoint = "projects/p/locations/us-central1/endpoints/123"
    JobStore("runs").save(
        JobRecord(
            id="vertex-1",
            backend="vertex",
            fingerprint="f",
            display_name="d",
            state="SUCCEEDED",
            endpoint=endpoint,
        )
    )
    with pytest.raises(JobError) as refused:
        export_job(load_config(None), None, format="gguf")
    assert "Vertex AI" in refused.value.message and endpoint in refused.value.message
    assert f"codetune test -m {endpoint}" in (refused.value.hint or "")

    with pytest.raises(SystemExit) as exited:
        main(["export", "vertex-1"])
    assert exited.value.code == 1


def _gpt2_job(root: Path, tokenizer_source: Path) -> str:
    """A finished local job whose base is a tiny GPT-2 (with SmolLM2's tokenizer and chat template)."""
    import torch
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    base_dir = root / "gpt2"
    config = GPT2Config(n_embd=32, n_layer=2, n_head=2, vocab_size=49152, bos_token_id=1, eos_token_id=2)
    GPT2LMHeadModel(config).save_pretrained(base_dir)
    AutoTokenizer.from_pretrained(tokenizer_source).save_pretrained(base_dir)
    return make_job(
        root,
        "local-gpt2",
        base_dir,
        GPT2LMHeadModel.from_pretrained(base_dir),
        ["c_attn"],
        fan_in_fan_out=True,
    )


def test_an_unsupported_architecture_is_one_line_and_merged_still_works(
    tiny_model: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    from codetune.cli.app import main

    monkeypatch.chdir(tmp_path)
    job = _gpt2_job(tmp_path, tiny_model)

    with pytest.raises(SystemExit) as exited:
        main(["export", job, "--format", "ollama"])
    assert exited.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error[0].startswith("error: cannot write GGUF: the model is a GPT2LMHeadModel")
    assert "LlamaForCausalLM" in error[0] and "merged" in error[1] and "Traceback" not in "".join(error)
    assert not (tmp_path / "exports").exists()  # refused before anything was written

    result = export_job(load_config(None), job, format="merged", check=1)
    assert result.passed and result.checks[0].identical == 1


def test_a_template_that_depends_on_more_than_roles_is_refused() -> None:
    system_in_first_turn = (  # the system text folded into the first user turn, as Mistral's template does
        "{% if messages[0]['role'] == 'system' %}{% set sys = messages[0]['content'] %}"
        "{% set rest = messages[1:] %}{% else %}{% set sys = '' %}{% set rest = messages %}{% endif %}"
        "{% for m in rest %}{% if m['role'] == 'user' %}[INST] {% if loop.first and sys %}{{ sys }}\n\n"
        "{% endif %}{{ m['content'] }} [/INST]{% else %}{{ m['content'] }}</s>{% endif %}{% endfor %}"
    )
    trimming = (
        "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] | trim }}<|end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
    )
    llama3 = (
        "{{ '<|begin_of_text|>' }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
        "{{ m['content'] }}<|eot_id|>{% endfor %}"
        "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
    )
    samples = ollama.sample_conversations("Be brief.")
    for refused in (system_in_first_turn, trimming):
        with pytest.raises(CodetuneError, match="cannot write an Ollama TEMPLATE"):
            ollama.checked_template(_jinja(refused), samples)
    turns, template = ollama.checked_template(_jinja(llama3), samples)
    assert turns.default_system == "<|begin_of_text|>" and template.endswith("<|end_header_id|>\n\n")


def _jinja(source: str) -> ollama.Render:
    import jinja2

    template = jinja2.Environment().from_string(source)
    return lambda messages, generation_prompt: template.render(
        messages=messages, add_generation_prompt=generation_prompt
    )


_STALLED_EXPORT = """
import sys, time
from pathlib import Path
from codetune.backends.local.export import export_job
from codetune.config import load_config

def stall(stage, done, total):
    if stage.startswith("write GGUF") and total and done == total // 2:
        Path(sys.argv[3]).write_text("half-way")
        time.sleep(120)

export_job(load_config(Path(sys.argv[1])), None, format="gguf", output=Path(sys.argv[2]), check=0, on_progress=stall)
"""


@pytest.mark.slow
def test_a_killed_export_leaves_no_half_file_and_the_next_one_cleans_up(trained) -> None:
    import subprocess
    import sys
    import time

    config, record, root = trained
    target, marker = root / "out/killed/gguf", root / "half-way"
    child = subprocess.Popen(
        [sys.executable, "-c", _STALLED_EXPORT, str(root / "config.yaml"), str(target), str(marker)],
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [_source_root(), os.environ.get("PYTHONPATH")])),
        },
    )
    try:
        for _ in range(1200):
            if marker.exists() or child.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "the export never got half-way through writing"
        child.kill()
    finally:
        child.wait()

    left = [p.name for p in target.parent.iterdir()]
    assert not target.exists() and len(left) == 1 and left[0].startswith(".export-"), left  # hidden, not half
    export_job(config, None, format="gguf", output=target, check=0)
    assert [p.name for p in target.parent.iterdir()] == ["gguf"]  # the dead export's directory is gone
    assert (target / f"{record.id}-q8_0.gguf").stat().st_size > 1_000_000


def _source_root() -> str:
    import codetune

    return str(Path(codetune.__file__).resolve().parents[1])
