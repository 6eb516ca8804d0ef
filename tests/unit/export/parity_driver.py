"""Test driver: runs the exported Python reward and mock world on cases written by the TypeScript tests.

    python3 parity_driver.py EXPORT_DIR reward CASES.jsonl OUT.jsonl
    python3 parity_driver.py EXPORT_DIR world SEQUENCES.jsonl OUT.jsonl
"""

import json
import sys

export_dir, mode, cases_path, out_path = sys.argv[1:5]
sys.path.insert(0, export_dir)

from mock_world import Environment, js_json  # noqa: E402
from reward import compute_reward  # noqa: E402

with open(f"{export_dir}/tools.json", encoding="utf-8") as f:
    TOOLS = json.load(f)
env = Environment.default()

with open(cases_path, encoding="utf-8") as f, open(out_path, "w", encoding="utf-8") as out:
    for line in f:
        case = json.loads(line)
        if mode == "reward":
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
