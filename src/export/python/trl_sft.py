"""Supervised fine-tuning exported from Tool-Use RL Studio, run with TRL's SFTTrainer (LoRA through peft).

    pip install -r requirements.txt
    accelerate launch --config_file accelerate_zero2.yaml train_sft.py          # one node, all its GPUs
    python train_sft.py --dry-run                                              # prepare the data, print the plan

The settings below are the studio run's, key for key (the comment after each names the studio key). The data is
prepared as the studio prepares it (trl_data.py): the studio's chat template (chat_template.jinja), the tool list
in every prompt unless the run used prompt_tools: none, the loss on assistant tokens only, sequences cut at
max_seq_len. Global batch = per_device_train_batch_size x gradient_accumulation_steps x GPUs: on N GPUs, divide
gradient_accumulation_steps by N (or pass --match-studio-batch) to keep the studio's optimizer steps.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from trl_data import ChatTokens, load_jsonl, sft_examples  # noqa: E402

# @@GENERATED@@


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=MODEL, help="base model: a hub id or a local folder (default: the studio run's)")
    parser.add_argument("--output-dir", default=SFT_ARGS["output_dir"])
    parser.add_argument("--bf16", action="store_true", help="bf16 mixed precision (the studio computes in f32)")
    parser.add_argument("--match-studio-batch", action="store_true", help="divide gradient accumulation by the number of GPUs")
    parser.add_argument("--dry-run", action="store_true", help="prepare the data and print the plan without training")
    args = parser.parse_args()

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    with open(os.path.join(HERE, "chat_template.jinja"), encoding="utf-8") as f:
        tokenizer.chat_template = f.read()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = "<|im_end|>"
    with open(os.path.join(HERE, "tools.json"), encoding="utf-8") as f:
        tools = json.load(f)
    chat = ChatTokens.from_hf(tokenizer)
    train_rows = [r for name in TRAIN_FILES for r in load_jsonl(os.path.join(HERE, name))]
    train, stats = sft_examples(chat, train_rows, tools, MAX_SEQ_LEN, PROMPT_TOOLS)
    print(f"train: {len(train)} examples of {len(train_rows)} ({stats['truncated']} truncated, {stats['dropped']} without assistant tokens left out), {stats['tokens']} tokens")
    evaluation = None
    if EVAL_FILE:
        eval_rows = load_jsonl(os.path.join(HERE, EVAL_FILE))[:EVAL_MAX_EXAMPLES]
        evaluation, _ = sft_examples(chat, eval_rows, tools, MAX_SEQ_LEN, PROMPT_TOOLS)

    sft_args = dict(SFT_ARGS, output_dir=args.output_dir)
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if args.match_studio_batch:
        sft_args["gradient_accumulation_steps"] = max(1, sft_args["gradient_accumulation_steps"] // world_size)
    if args.bf16:
        sft_args["bf16"] = True
    if evaluation is None:
        sft_args["eval_strategy"] = "no"
    print(f"global batch: {sft_args['per_device_train_batch_size']} x {sft_args['gradient_accumulation_steps']} x {world_size} GPU(s)")
    if args.dry_run:
        print(json.dumps({"model": args.model, "sft": sft_args, "lora": LORA}, indent=2))
        return

    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig, SFTTrainer

    model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype="auto")
    peft_config = None
    if LORA is not None:
        from peft import LoraConfig

        peft_config = LoraConfig(task_type="CAUSAL_LM", bias="none", **LORA)
    trainer = SFTTrainer(
        model=model,
        args=SFTConfig(**sft_args),
        train_dataset=Dataset.from_list(train),
        eval_dataset=Dataset.from_list(evaluation) if evaluation else None,
        processing_class=tokenizer,
        peft_config=peft_config,
    )
    trainer.train()
    trainer.save_model(args.output_dir)
    tokenizer.save_pretrained(args.output_dir)


if __name__ == "__main__":
    main()
