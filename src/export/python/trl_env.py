"""The studio's sample tools as a TRL environment: one mock enterprise world per rollout, its tools as methods.

GRPOTrainer(environment_factory=EnterpriseToolEnv) creates one instance per generation, calls reset() with the
dataset row before each episode, and exposes every public method below as a tool (the signature and the docstring
give the tool's JSON schema). A call runs on the rollout's own world (mock_world.py, a port of the studio's
executors), so booking a room makes it busy for the rest of that rollout; an invalid call raises, and TRL feeds the
message back to the model as the tool's answer, as the studio's rollouts do.
"""

from __future__ import annotations

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mock_world import EnterpriseWorld, js_json  # noqa: E402

START = EnterpriseWorld.default()


class EnterpriseToolEnv:
    def __init__(self):
        self.world = START.fresh()
        self.calls: list = []

    def reset(self, **kwargs) -> None:
        """A fresh world, with the earlier steps of a chain (ground_truth's prefix) already executed."""
        self.world = START.fresh()
        self.calls = []
        truth = json.loads(kwargs.get("ground_truth") or "{}")
        for call in truth.get("prefix", []):
            self.world.execute(call["name"], call["arguments"])
        return None

    def _run(self, name: str, **arguments) -> str:
        args = {k: v for k, v in arguments.items() if v is not None}
        result = self.world.execute(name, args)
        self.calls.append({"name": name, "arguments": args, "ok": result["ok"]})
        if not result["ok"]:
            raise ValueError(result["error"]["message"])
        return js_json(result["result"])

    # @@GENERATED@@
