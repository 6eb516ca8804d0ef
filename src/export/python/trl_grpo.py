"""GRPO exported from Tool-Use RL Studio, run with TRL's GRPOTrainer: the studio's RL reward (rl_reward.py, a port of
src/train/rl-reward.ts) as reward functions, the sample tools as a stateful environment (trl_env.py) for multi-turn
tool rollouts, LoRA through peft.

    pip install -r requirements.txt
    accelerate launch --config_file accelerate_zero2.yaml train_grpo.py
    python train_grpo.py --dry-run

The reward functions score every assistant turn of a completion against the row's ground_truth ({"steps": the gold
calls of each reference turn}): "rule" is the rule reward (reward.py, REWARD_RULE) averaged over turns, "chain" is 1
when the whole chain is right and the world ends in the reference chain's state; a reward model (REWARD_MODEL) is a
third. TRL sums them with reward_weights = the studio's weights (a function's None, "not judged", is left out) and
logs each as rewards/<name>/mean.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mock_world import Environment  # noqa: E402
from rl_reward import episode_reward  # noqa: E402
from trl_data import completion_turns, load_jsonl  # noqa: E402
from trl_env import EnterpriseToolEnv  # noqa: E402

# @@GENERATED@@

ENVIRONMENT = Environment.default()
with open(os.path.join(HERE, "tools.json"), encoding="utf-8") as _f:
    TOOLS = json.load(_f)
_cache: dict = {}


def _episode(completion, ground_truth: str) -> dict:
    turns = completion_turns(completion)
    key = (tuple(turns), ground_truth)
    if key not in _cache:
        if len(_cache) > 100_000:
            _cache.clear()
        steps = json.loads(ground_truth)["steps"]
        _cache[key] = episode_reward(turns, steps, REWARD_RULE, REWARD_WEIGHTS, tools=TOOLS, environment=ENVIRONMENT)
    return _cache[key]


def component_reward(name: str):
    """TRL reward function of one component (None where it cannot be judged: no reference)."""

    def reward(completions, ground_truth, **kwargs) -> list:
        out = []
        for c, g in zip(completions, ground_truth):
            v = _episode(c, g)[name]
            out.append(None if math.isnan(v) else float(v))
        return out

    reward.__name__ = name
    return reward


def reward_functions(reward_model):
    """The weighted components: (functions, weights, names)."""
    funcs, weights, names = [], [], []
    if REWARD_RULE is not None and REWARD_WEIGHTS["rule"] != 0:
        funcs.append(component_reward("rule"))
        weights.append(float(REWARD_WEIGHTS["rule"]))
        names.append(f"rule ({REWARD_RULE['name']})")
    if REWARD_WEIGHTS["chain"] != 0:
        funcs.append(component_reward("chain"))
        weights.append(float(REWARD_WEIGHTS["chain"]))
        names.append("chain")
    if REWARD_WEIGHTS["reward_model"] != 0:
        if not reward_model:
            sys.exit("the run weights a reward model: give --reward-model (a merged sequence-classification folder)")
        funcs.append(reward_model)  # TRL loads a model path as AutoModelForSequenceClassification(num_labels=1)
        weights.append(float(REWARD_WEIGHTS["reward_model"]))
        names.append("reward_model")
    return funcs, weights, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--output-dir", default=GRPO_ARGS["output_dir"])
    parser.add_argument("--reward-model", default=REWARD_MODEL, help="a sequence-classification model folder (the reward-model run merged)")
    parser.add_argument("--no-tools", action="store_true", help="single-turn rollouts: no tool execution during generation")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    rows = [r for name in TRAIN_FILES for r in load_jsonl(os.path.join(HERE, name))]
    funcs, weights, names = reward_functions(args.reward_model)
    grpo_args = dict(GRPO_ARGS, output_dir=args.output_dir, reward_weights=weights)
    print(f"{len(rows)} prompts; reward: " + " + ".join(f"{w} x {n}" for w, n in zip(weights, names)))
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
        reward_funcs=funcs,
        peft_config=peft_config,
        **extra,
    )
    with open(os.path.join(HERE, "chat_template.jinja"), encoding="utf-8") as f:
        trainer.processing_class.chat_template = f.read()
    trainer.train()
    trainer.save_model(args.output_dir)


if __name__ == "__main__":
    main()
