"""Folds the studio run's LoRA adapter (adapter/, PEFT files) into its base model and saves a plain HF model folder,
for engines that start from full weights (verl's actor and critic, vLLM, the ONNX exporter of optimum).

    python merge_adapter.py --out merged

A run that started from another LoRA adapter (a LoRA SFT run, an adapter imported into the studio) carries it as
adapter/start-adapter_config.json and adapter/start-adapter_model.safetensors: the run's adapter was trained on the
base with that one merged, so it is merged first. --start-only merges the start adapter alone: the model the run's
training started from.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# @@GENERATED@@

PEFT_FILES = ("adapter_config.json", "adapter_model.safetensors")


def start_adapter_dir(adapter_dir: str, into: str) -> str | None:
    """The start adapter (start-adapter_* beside the run's) copied under PEFT's file names into `into`; None without one."""
    carried = [os.path.join(adapter_dir, "start-" + name) for name in PEFT_FILES]
    if not all(os.path.exists(path) for path in carried):
        return None
    for path, name in zip(carried, PEFT_FILES):
        shutil.copyfile(path, os.path.join(into, name))
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--adapter", default=os.path.join(HERE, "adapter"))
    parser.add_argument("--out", default=os.path.join(HERE, "merged"))
    parser.add_argument("--start-only", action="store_true", help="merge only the adapter the run started from (adapter/start-adapter_*)")
    args = parser.parse_args()

    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    merged = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype="auto")
    with tempfile.TemporaryDirectory() as tmp:
        start = start_adapter_dir(args.adapter, tmp)
        if args.start_only and start is None:
            parser.error(f"--start-only: {args.adapter} has no start-adapter_config.json and start-adapter_model.safetensors (this run started from a base model)")
        if start is not None:
            merged = PeftModel.from_pretrained(merged, start).merge_and_unload()
    if not args.start_only:
        merged = PeftModel.from_pretrained(merged, args.adapter).merge_and_unload()
    merged.save_pretrained(args.out)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    with open(os.path.join(HERE, "chat_template.jinja"), encoding="utf-8") as f:
        tokenizer.chat_template = f.read()
    tokenizer.save_pretrained(args.out)
    print(f"merged model written to {args.out}")


if __name__ == "__main__":
    main()
