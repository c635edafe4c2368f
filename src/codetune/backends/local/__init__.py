"""The embedded ``local`` backend: LoRA fine-tuning of a small model on this machine (CPU or GPU), offline,
in one process or data parallel in several (GPUs, machines).

Modules, in the order a job uses them: :mod:`.backend` (the ``Backend`` protocol: submit, status, cancel,
resume, chat), :mod:`.rundir` (the run directory's files: status, metrics, cancel request), :mod:`.worker`
(the background process), :mod:`.distributed` and :mod:`.launch` (a job in several processes, started by
torchrun), :mod:`.failures` (how a job failed, in one line), :mod:`.recipe` (setup, train, save: one
top-to-bottom file) with :mod:`.plan` and :mod:`.settings`, :mod:`.hardware`, :mod:`.models` (the bundled
GGUF converted once to safetensors), :mod:`.data` (Gemini JSONL to token ids with the loss mask),
:mod:`.plot` and :mod:`.chat`. Only :mod:`.recipe`, :mod:`.models`, :mod:`.data`'s encoders, :mod:`.launch`
and :mod:`.chat` import torch or transformers, and only when called.
"""
