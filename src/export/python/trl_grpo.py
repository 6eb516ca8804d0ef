"""GRPO exported from Tool-Use RL Studio, run with TRL's GRPOTrainer: the studio's rule reward (reward.py, a port of
src/eval/reward.ts) as one reward function per weighted component, the sample tools as a stateful environment
(trl_env.py) for multi-turn tool rollouts, LoRA through peft.

    pip install -r requirements.txt
    accelerate launch --config_file accelerate_zero2.yaml train_grpo.py
    python train_grpo.py --dry-run

Each reward function scores the completion's first assistant turn (the step the prompt asks for) against the
row's ground_truth ({"expected": gold calls, "prefix": calls of earlier chain steps}); TRL sums them with
reward_weights = the studio reward's weights, and logs each as rewards/<name>/mean.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mock_world import Environment  # noqa: E402
from reward import compute_reward  # noqa: E402
from trl_data import completion_text, load_jsonl  # noqa: E402
from trl_env import EnterpriseToolEnv  # noqa: E402

# @@GENERATED@@

ENVIRONMENT = Environment.default()
with open(os.path.join(HERE, "tools.json"), encoding="utf-8") as _f:
    TOOLS = json.load(_f)
_cache: dict = {}


def _components(completion, ground_truth: str) -> dict:
    text = completion_text(completion)
    key = (text, ground_truth)
    if key not in _cache:
        if len(_cache) > 100_000:
            _cache.clear()
        truth = json.loads(ground_truth)
        r = compute_reward(text, truth["expected"], REWARD, tools=TOOLS, environment=ENVIRONMENT, prefix=truth.get("prefix", []))
        _cache[key] = r["components"]
    return _cache[key]


def component_reward(name: str):
    def reward(completions, ground_truth, **kwargs) -> list:
        return [float(_components(c, g)[name]) for c, g in zip(completions, ground_truth)]

    reward.__name__ = name
    return reward


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--output-dir", default=GRPO_ARGS["output_dir"])
    parser.add_argument("--no-tools", action="store_true", help="single-turn rollouts: no tool execution during generation")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    rows = [r for name in TRAIN_FILES for r in load_jsonl(os.path.join(HERE, name))]
    names = list(REWARD["weights"])
    grpo_args = dict(GRPO_ARGS, output_dir=args.output_dir, reward_weights=[float(REWARD["weights"][n]) for n in names])
    print(f"{len(rows)} prompts; reward {REWARD['name']}: " + " + ".join(f"{REWARD['weights'][n]} x {n}" for n in names))
    if args.dry_run:
        print(json.dumps({"model": args.model, "grpo": grpo_args, "lora": LORA}, indent=2))
        return

    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    peft_config = None
    if LORA is not None:
        from peft import LoraConfig

        peft_config = LoraConfig(task_type="CAUSAL_LM", bias="none", **LORA)
    extra = {} if args.no_tools else {"environment_factory": EnterpriseToolEnv}
    trainer = GRPOTrainer(
        model=args.model,
        args=GRPOConfig(**grpo_args),
        train_dataset=Dataset.from_list(rows),
        reward_funcs=[component_reward(n) for n in names],
        peft_config=peft_config,
        **extra,
    )
    with open(os.path.join(HERE, "chat_template.jinja"), encoding="utf-8") as f:
        trainer.processing_class.chat_template = f.read()
    trainer.train()
    trainer.save_model(args.output_dir)


if __name__ == "__main__":
    main()
