"""The embedded ``local`` backend: LoRA fine-tuning of a small model on this machine (CPU or GPU), offline.

Modules, in the order a job uses them: :mod:`.backend` (the ``Backend`` protocol: submit, status, cancel,
resume, chat), :mod:`.rundir` (the run directory's files: status, metrics, cancel request), :mod:`.worker`
(the background process), :mod:`.recipe` (setup, train, save: one top-to-bottom file), :mod:`.hardware`,
:mod:`.models` (the bundled GGUF converted once to safetensors), :mod:`.data` (Gemini JSONL to token ids
with the loss mask), :mod:`.plot` and :mod:`.chat`. Only :mod:`.recipe`, :mod:`.models`, :mod:`.data`'s
encoders and :mod:`.chat` import torch or transformers, and only when called.
"""
