"""Test driver: runs the exported Python reward and mock world on cases written by the TypeScript tests.

    python3 parity_driver.py EXPORT_DIR reward CASES.jsonl OUT.jsonl
    python3 parity_driver.py EXPORT_DIR world SEQUENCES.jsonl OUT.jsonl
    python3 parity_driver.py EXPORT_DIR episode EPISODES.jsonl OUT.jsonl   (rl_reward.episode_reward on turn texts)
    python3 parity_driver.py EXPORT_DIR verl EPISODES.jsonl OUT.jsonl      (verl_reward.compute_score on decoded text)
"""

import json
import math
import sys

export_dir, mode, cases_path, out_path = sys.argv[1:5]
sys.path.insert(0, export_dir)

from mock_world import Environment, js_json  # noqa: E402
from reward import PRESETS, compute_reward  # noqa: E402
from rl_reward import episode_reward  # noqa: E402


def finite(v):
    return None if isinstance(v, float) and math.isnan(v) else v


with open(f"{export_dir}/tools.json", encoding="utf-8") as f:
    TOOLS = json.load(f)
env = Environment.default()

with open(cases_path, encoding="utf-8") as f, open(out_path, "w", encoding="utf-8") as out:
    for line in f:
        case = json.loads(line)
        if mode == "episode":
            rule = PRESETS[case["rule"]] if case["rule"] else None
            r = episode_reward(case["turns"], case["steps"], rule, case["weights"], tools=TOOLS, environment=env)
            out.write(json.dumps({k: finite(r[k]) for k in ("total", "rule", "chain")} | {"turn_rules": r["turn_rules"]}) + "\n")
        elif mode == "verl":
            import verl_reward

            s = verl_reward.compute_score("tool-use-rl-studio/grpo", case["solution_str"], case["ground_truth"], {})
            out.write(json.dumps({"score": s["score"], "turns": verl_reward.assistant_turns(case["solution_str"])}, ensure_ascii=False) + "\n")
        elif mode == "reward":
            config = {"name": "t", "weights": {"format": 1}, "require_think": case["require_think"]}
            r = compute_reward(case["output"], case["expected"], config, tools=TOOLS, environment=env, prefix=case["prefix"])
            out.write(json.dumps(r["components"]) + "\n")
        else:
            world = env.create()
            results = []
            for call in case["calls"]:
                r = world.execute(call["name"], call["arguments"])
                results.append({"ok": True, "text": js_json(r["result"])} if r["ok"] else {"ok": False, **r["error"]})
            out.write(json.dumps(results, ensure_ascii=False) + "\n")
