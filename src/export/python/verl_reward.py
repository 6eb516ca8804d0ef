"""The studio's RL reward for verl: custom_reward_function.path=verl_reward.py, custom_reward_function.name=compute_score.

verl calls compute_score(data_source, solution_str, ground_truth, extra_info) with the decoded response. In a
multi-turn tool rollout the response holds the first assistant turn, then the tool results and later turns, decoded
without the special tokens: "turn\nuser\n<tool_response>\n...\n</tool_response>\nassistant\nturn ...". The turns are
cut apart at those tool blocks and scored as the studio scores an episode (rl_reward.py: the rule reward of each
turn against the reference turn at its index, averaged; the chain reward), weighted. ground_truth is the row's JSON
{"steps": the gold calls of each reference turn}. The returned dict carries the total as "score" and each component,
which verl logs beside it (a component that cannot be judged is reported as 0).
"""

from __future__ import annotations

import json
import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mock_world import Environment  # noqa: E402
from rl_reward import episode_reward  # noqa: E402

# @@GENERATED@@

ENVIRONMENT = Environment.default()
with open(os.path.join(HERE, "tools.json"), encoding="utf-8") as _f:
    TOOLS = json.load(_f)

# A tool turn between two assistant turns, as decoded without special tokens: the "user" role line, one or more
# <tool_response> blocks, then the next turn's "assistant" role line (absent when the response ends there).
TOOL_TURN = re.compile(r"\s*\buser\n<tool_response>.*?</tool_response>(?:\s*<tool_response>.*?</tool_response>)*\s*(?:\bassistant\n|$)", re.S)


def assistant_turns(solution_str: str) -> list:
    """The assistant turns of a decoded multi-turn response (one turn when no tool ran)."""
    turns = TOOL_TURN.split(solution_str)
    if len(turns) > 1 and turns[-1].strip() == "":
        turns = turns[:-1]  # the response ended on tool results: no turn after them
    return [t.rstrip() for t in turns]


def compute_score(data_source, solution_str, ground_truth, extra_info=None) -> dict:
    truth = json.loads(ground_truth) if isinstance(ground_truth, str) else ground_truth
    r = episode_reward(assistant_turns(solution_str), truth["steps"], REWARD_RULE, REWARD_WEIGHTS, tools=TOOLS, environment=ENVIRONMENT,
                       prefix=truth.get("prefix", []))
    out = {"score": float(r["total"])}
    for name in ("rule", "chain"):
        out[name] = 0.0 if math.isnan(r[name]) else float(r[name])
    out["turns"] = float(len(r["turn_rules"]))
    return out
