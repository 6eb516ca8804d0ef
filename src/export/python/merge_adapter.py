"""Folds the studio run's LoRA adapter (adapter/, PEFT files) into its base model and saves a plain HF model folder,
for engines that start from full weights (verl's actor and critic, vLLM, the ONNX exporter of optimum).

    python merge_adapter.py --out merged
"""

from __future__ import annotations

import argparse
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# @@GENERATED@@


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--adapter", default=os.path.join(HERE, "adapter"))
    parser.add_argument("--out", default=os.path.join(HERE, "merged"))
    args = parser.parse_args()

    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype="auto")
    merged = PeftModel.from_pretrained(base, args.adapter).merge_and_unload()
    merged.save_pretrained(args.out)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    with open(os.path.join(HERE, "chat_template.jinja"), encoding="utf-8") as f:
        tokenizer.chat_template = f.read()
    tokenizer.save_pretrained(args.out)
    print(f"merged model written to {args.out}")


if __name__ == "__main__":
    main()
