"""Reward-model training exported from Tool-Use RL Studio, run with TRL's RewardTrainer: a sequence classifier with
one label (the `score` head, saved by peft under modules_to_save) on top of LoRA, trained on the preference pairs
(prompt, chosen, rejected) rendered with the studio's chat template and tools.

    pip install -r requirements.txt
    accelerate launch --config_file accelerate_zero2.yaml train_rm.py
    python train_rm.py --dry-run
"""

from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from trl_data import load_jsonl  # noqa: E402

# @@GENERATED@@


def tokenize_pair(tokenizer, row: dict, tools: list) -> dict:
    """Both sides rendered as whole conversations (prompt + side) with the tools, cut at max_length."""
    use_tools = (row.get("tools") or tools) if PROMPT_TOOLS else None
    out = {}
    for side in ("chosen", "rejected"):
        text = tokenizer.apply_chat_template(row["prompt"] + row[side], tools=use_tools or None, tokenize=False)
        out[f"{side}_input_ids"] = tokenizer.encode(text, add_special_tokens=False)[:MAX_SEQ_LEN]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--output-dir", default=RM_ARGS["output_dir"])
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    rows = [r for name in TRAIN_FILES for r in load_jsonl(os.path.join(HERE, name))]
    print(f"{len(rows)} preference pairs")
    if args.dry_run:
        print(json.dumps({"model": args.model, "reward": RM_ARGS, "lora": LORA}, indent=2))
        return

    from datasets import Dataset
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from trl import RewardConfig, RewardTrainer

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    with open(os.path.join(HERE, "chat_template.jinja"), encoding="utf-8") as f:
        tokenizer.chat_template = f.read()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = "<|im_end|>"
    with open(os.path.join(HERE, "tools.json"), encoding="utf-8") as f:
        tools = json.load(f)
    data = Dataset.from_list([tokenize_pair(tokenizer, r, tools) for r in rows])
    model = AutoModelForSequenceClassification.from_pretrained(args.model, num_labels=1, torch_dtype="auto")
    model.config.pad_token_id = tokenizer.pad_token_id
    peft_config = None
    if LORA is not None:
        from peft import LoraConfig

        peft_config = LoraConfig(task_type="SEQ_CLS", bias="none", modules_to_save=["score"], **LORA)
    trainer = RewardTrainer(model=model, args=RewardConfig(**dict(RM_ARGS, output_dir=args.output_dir)), train_dataset=data,
                            processing_class=tokenizer, peft_config=peft_config)
    trainer.train()
    trainer.save_model(args.output_dir)


if __name__ == "__main__":
    main()
