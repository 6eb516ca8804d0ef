"""The studio's rule reward for verl: custom_reward_function.path=verl_reward.py, custom_reward_function.name=compute_score.

verl calls compute_score(data_source, solution_str, ground_truth, extra_info) with the decoded response. In a
multi-turn tool rollout the response holds the first assistant turn, then the tool results and later turns; the
studio rewards the step the prompt asks for, so the text before the first <tool_response> is scored. ground_truth
is the row's JSON {"expected": gold calls, "prefix": calls of earlier chain steps}. The returned dict carries the
total as "score" and every component, which verl logs beside it.
"""

from __future__ import annotations

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mock_world import Environment  # noqa: E402
from reward import REWARD_COMPONENTS, compute_reward  # noqa: E402

# @@GENERATED@@

ENVIRONMENT = Environment.default()
with open(os.path.join(HERE, "tools.json"), encoding="utf-8") as _f:
    TOOLS = json.load(_f)


def first_assistant_turn(solution_str: str) -> str:
    """The response up to the first tool result; the role word of the tool turn's header (decoded without its special
    tokens as a bare "user" line) is dropped with it."""
    cut = solution_str.find("<tool_response>")
    if cut < 0:
        return solution_str
    head = solution_str[:cut].rstrip()
    if head.endswith("user"):
        head = head[: -len("user")]
    return head.rstrip()


def compute_score(data_source, solution_str, ground_truth, extra_info=None) -> dict:
    truth = json.loads(ground_truth) if isinstance(ground_truth, str) else ground_truth
    r = compute_reward(first_assistant_turn(solution_str), truth["expected"], REWARD, tools=TOOLS, environment=ENVIRONMENT,
                       prefix=truth.get("prefix", []))
    out = {"score": float(r["total"])}
    for name in REWARD_COMPONENTS:
        out[name] = float(r["components"][name])
    return out
