"""The studio's RL episode reward in Python: a port of src/train/rl-reward.ts (and of the chain-level success of
src/eval/metrics.ts it uses), standard library only. The export test checks it against the TypeScript on sample
chains: the same rule reward per turn, the same chain reward, the same total.

An episode is the list of its assistant turns' texts (the model's turn, its <tool_call> blocks included). The
reference is the list of steps, each the gold calls of one reference assistant turn ([] for an answer).

  rule   the rule reward (reward.py) of turn k against reference step k, the calls of the episode's earlier turns
         executed first; the episode's rule reward is the mean over max(steps, turns) turns (a missing turn is
         scored as empty text, a turn past the reference against "no call")
  chain  1 when every step is right (BFCL's match, same number of calls, the text parsed) and the world ends in the
         reference chain's state, else 0
total = sum of weight x component over the components with a weight and a value (NaN: not judged, left out, as
TRL's nansum does with reward functions that return None).

    from rl_reward import episode_reward
    r = episode_reward(["<tool_call>...</tool_call>", "Done."], steps, PRESETS["pipeline"], {"rule": 1, "chain": 0.5})
    r["total"], r["rule"], r["chain"], r["turn_rules"]
"""

from __future__ import annotations

import math
from typing import Any, Optional

from bfcl_match import GoldMatcher, json_equal, max_matching
from reward import REWARD_COMPONENTS, compute_reward
from tool_calls import parse_model_output

NAN = float("nan")


def rule_turns(turns: list, steps: list, rule: dict, tools: Optional[list] = None, environment: Any = None,
               prefix: Optional[list] = None) -> dict:
    """The rule reward of each turn against the reference step at its index: {"turn_rules", "rule", "parts"}."""
    n = max(len(steps), len(turns))
    done = list(prefix or [])
    turn_rules, parts, total = [], {}, 0
    for k in range(n):
        parsed = parse_model_output(turns[k]) if k < len(turns) else parse_model_output("")
        r = compute_reward(parsed, steps[k] if k < len(steps) else [], rule, tools=tools, environment=environment, prefix=list(done))
        turn_rules.append(r["total"])
        total += r["total"]
        for c in REWARD_COMPONENTS:
            if c in r["weights"]:
                parts[c] = parts.get(c, 0) + r["components"][c] / n
        # The episode ran this turn's calls (a turn that did not parse ran none).
        if k < len(turns) and parsed.error is None:
            done.extend({"name": c["name"], "arguments": c["arguments"]} for c in parsed.calls)
    return {"turn_rules": turn_rules, "rule": total / n if n else NAN, "parts": parts}


def chain_success(turns: list, steps: list, tools: Optional[list] = None, environment: Any = None,
                  prefix: Optional[list] = None) -> bool:
    """Chain-level success as scoreRecords judges one record: every step right, and the predicted chain leaves the
    world as the reference chain does (when an environment runs both)."""
    by_name = {t["function"]["name"]: t for t in (tools or [])}
    all_correct = True
    pred_calls: list = []
    # No turns at all is one step with no calls (scoreRecords' reading of an empty prediction).
    for s in range(max(len(steps), len(turns), 1)):
        gold = steps[s] if s < len(steps) else []
        if s < len(turns):
            parsed = parse_model_output(turns[s])
            format_error = parsed.error is not None
            pred = parsed.calls
        else:
            format_error, pred = False, []
        matchers = [GoldMatcher(g, by_name.get(g["name"])) for g in gold]
        full = max_matching(len(gold), len(pred), lambda g, p: matchers[g].check(pred[p]))
        if format_error or len(gold) != len(pred) or len(full) != len(gold):
            all_correct = False
        pred_calls.extend(pred)
    state_match = None
    if environment is not None:
        pred_world = environment.create()
        for c in prefix or []:
            pred_world.execute(c["name"], c["arguments"])
        for c in pred_calls:
            pred_world.execute(c["name"], c["arguments"])
        if all(g["name"] in environment.tool_names for st in steps for g in st):
            ref_world = environment.create()
            for c in prefix or []:
                ref_world.execute(c["name"], c["arguments"])
            for st in steps:
                for g in st:
                    ref_world.execute(g["name"], g["arguments"])
            state_match = json_equal(ref_world.snapshot(), pred_world.snapshot())
    return all_correct and state_match is not False


def episode_reward(turns: list, steps: list, rule: Optional[dict], weights: dict, tools: Optional[list] = None,
                   environment: Any = None, prefix: Optional[list] = None) -> dict:
    """episodeRewards for one episode: {"total", "rule", "chain", "turn_rules", "rule_parts"}. `rule` is a reward
    config (reward.PRESETS[...]) or None; `weights` has "rule", "chain" (and "reward_model", scored elsewhere)."""
    judged = len(steps) > 0
    rule_value, turn_rules, parts = NAN, [], {}
    if judged and rule is not None:
        r = rule_turns(turns, steps, rule, tools, environment, prefix)
        rule_value, turn_rules, parts = r["rule"], r["turn_rules"], r["parts"]
    chain = NAN
    if judged and weights.get("chain", 0) != 0:
        chain = 1 if chain_success(turns, steps, tools, environment, prefix) else 0
    total = 0
    for name, value in (("rule", rule_value), ("chain", chain)):
        w = weights.get(name, 0)
        if w != 0 and math.isfinite(value):
            total += w * value
    return {"total": total, "rule": rule_value, "chain": chain, "turn_rules": turn_rules, "rule_parts": parts}
