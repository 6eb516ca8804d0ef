"""The studio's sample tools for verl's multi-turn rollouts (tool_config.yaml names EnterpriseTool for every tool).

verl creates a tool instance per rollout (sglang rollout: one instance id per request, shared by every tool) or per
call (the tool agent loop); the world behind an instance id is shared by all tools, so in the first mode booking a
room makes it busy for the rest of that rollout, and in the second each call starts from the row's state. create()
reads create_kwargs["prefix"] (a JSON list of the chain's earlier calls) and runs them first.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Optional
from uuid import uuid4

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mock_world import EnterpriseWorld, js_json  # noqa: E402
from verl.tools.base_tool import BaseTool  # noqa: E402

try:  # verl >= 0.5 answers with ToolResponse objects; older versions with plain text
    from verl.tools.schemas import ToolResponse
except ImportError:  # pragma: no cover - depends on the installed verl
    ToolResponse = None

START = EnterpriseWorld.default()
_WORLDS: dict = {}  # instance id -> [world, number of tools holding it]


def _respond(text: str):
    return ToolResponse(text=text) if ToolResponse is not None else text


class EnterpriseTool(BaseTool):
    async def create(self, instance_id: Optional[str] = None, **kwargs):
        kw = dict(kwargs.get("create_kwargs") or {}, **{k: v for k, v in kwargs.items() if k != "create_kwargs"})
        instance_id = instance_id or str(uuid4())
        if instance_id not in _WORLDS:
            world = START.fresh()
            for call in json.loads(kw.get("prefix") or "[]"):
                world.execute(call["name"], call["arguments"])
            _WORLDS[instance_id] = [world, 0]
        _WORLDS[instance_id][1] += 1
        return (instance_id, _respond("")) if ToolResponse is not None else instance_id

    async def execute(self, instance_id: str, parameters: Any, **kwargs):
        if isinstance(parameters, str):
            try:
                parameters = json.loads(parameters)
            except ValueError:
                parameters = None
        if not isinstance(parameters, dict):
            return _respond("error (invalid_arguments): the arguments are not a JSON object"), 0.0, {"ok": False}
        world = _WORLDS[instance_id][0] if instance_id in _WORLDS else START.fresh()
        result = world.execute(self.name, parameters)
        if result["ok"]:
            return _respond(js_json(result["result"])), 0.0, {"ok": True}
        return _respond(f"error ({result['error']['type']}): {result['error']['message']}"), 0.0, {"ok": False}

    async def calc_reward(self, instance_id: str, **kwargs) -> float:
        return 0.0

    async def release(self, instance_id: str, **kwargs) -> None:
        held = _WORLDS.get(instance_id)
        if held is not None:
            held[1] -= 1
            if held[1] <= 0:
                del _WORLDS[instance_id]
