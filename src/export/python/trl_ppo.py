"""PPO exported from Tool-Use RL Studio, run with TRL's PPOTrainer (policy with LoRA, a value model, a reward model).

    pip install -r requirements.txt
    accelerate launch --config_file accelerate_zero2.yaml train_ppo.py --reward-model PATH
    python train_ppo.py --dry-run

TRL's PPOTrainer scores completions with a reward *model* (a sequence classifier, e.g. the export of the studio's
reward-model run, train_rm.py) and has no place for a rule reward; a PPO run with the studio's rule reward belongs in
the verl export (verl/), whose PPO takes reward.py's compute_score and trains a critic.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--reward-model", default=REWARD_MODEL, help="a sequence-classification model (1 label) or a merged RM export")
    parser.add_argument("--output-dir", default=PPO_ARGS["output_dir"])
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    rows = [r for name in TRAIN_FILES for r in load_jsonl(os.path.join(HERE, name))]
    print(f"{len(rows)} prompts")
    if args.dry_run:
        print(json.dumps({"model": args.model, "reward_model": args.reward_model, "ppo": PPO_ARGS, "lora": LORA}, indent=2))
        return
    if not args.reward_model:
        sys.exit("TRL's PPOTrainer needs --reward-model (the studio run used the rule reward: use the verl export for rule-reward PPO)")

    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

    try:
        from trl import PPOConfig, PPOTrainer
    except ImportError:  # TRL 1.x moved PPO to trl.experimental
        from trl.experimental.ppo import PPOConfig, PPOTrainer

    tokenizer = AutoTokenizer.from_pretrained(args.model, padding_side="left")
    with open(os.path.join(HERE, "chat_template.jinja"), encoding="utf-8") as f:
        tokenizer.chat_template = f.read()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = "<|im_end|>"
    with open(os.path.join(HERE, "tools.json"), encoding="utf-8") as f:
        tools = json.load(f)
    ids = [tokenizer.apply_chat_template(r["prompt"], tools=tools if PROMPT_TOOLS else None, add_generation_prompt=True, tokenize=True) for r in rows]
    data = Dataset.from_dict({"input_ids": ids})
    policy = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype="auto")
    value_model = AutoModelForSequenceClassification.from_pretrained(args.reward_model, num_labels=1, torch_dtype="auto")
    reward_model = AutoModelForSequenceClassification.from_pretrained(args.reward_model, num_labels=1, torch_dtype="auto")
    peft_config = None
    if LORA is not None:
        from peft import LoraConfig

        peft_config = LoraConfig(task_type="CAUSAL_LM", bias="none", **LORA)
    trainer = PPOTrainer(
        args=PPOConfig(**dict(PPO_ARGS, output_dir=args.output_dir)),
        processing_class=tokenizer,
        model=policy,
        ref_model=None,
        reward_model=reward_model,
        value_model=value_model,
        train_dataset=data,
        peft_config=peft_config,
    )
    trainer.train()
    trainer.save_model(args.output_dir)


if __name__ == "__main__":
    main()
