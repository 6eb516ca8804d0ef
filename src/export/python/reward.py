"""The studio's rule-based RL reward in Python: a port of src/eval/reward.ts, standard library only. The export test
checks that it gives the TypeScript reward, every component, on every row of the sample data.

Components (value ranges), combined with a config's weights:
  format {0,1}, intent {0,1}, tool_name [0,1], param_names [0,1], param_values [0,1], params [0,1],
  execution [0,1] (needs an environment: mock_world.Environment), correctness [-3,3] (ToolRL), binary {0,1}.

    from reward import compute_reward, PRESETS
    r = compute_reward(text, expected=[{"name": "queryWeather", "arguments": {"city": "北京"}}], config=PRESETS["toolrl"])
    r["total"], r["components"]["correctness"]
"""

from __future__ import annotations

from typing import Any, Optional

from bfcl_match import GoldMatcher, json_equal, max_matching
from tool_calls import ParsedOutput, parse_model_output

REWARD_COMPONENTS = ["format", "intent", "tool_name", "param_names", "param_values", "params", "execution", "correctness", "binary"]

# Weights in the TypeScript presets' order (the weighted sum adds them in this order).
PRESETS = {
    "toolrl": {"name": "toolrl", "weights": {"format": 1, "correctness": 1}, "require_think": False},
    "binary": {"name": "binary", "weights": {"binary": 1}, "require_think": False},
    "pipeline": {"name": "pipeline", "weights": {"intent": 1, "tool_name": 1, "params": 1, "execution": 1}, "require_think": False},
}


def _jaccard(a: set, b: set) -> float:
    union = a | b
    if not union:
        return 1
    return len(a & b) / len(union)


def _best_pairing(n_gold: int, n_pred: int, score) -> float:
    """Best total score of a one-to-one pairing (bitmask DP; greedy beyond 16 predicted calls), as bestPairing."""
    if n_pred > 16:
        used, total = set(), 0
        for g in range(n_gold):
            best, best_score = -1, 0
            for p in range(n_pred):
                if p not in used and score(g, p) > best_score:
                    best, best_score = p, score(g, p)
            if best >= 0:
                used.add(best)
                total += best_score
        return total
    dp = {0: 0}
    for g in range(n_gold):
        nxt: dict = {}
        for mask, v in dp.items():
            nxt[mask] = max(nxt.get(mask, float("-inf")), v)
            for p in range(n_pred):
                if mask & (1 << p):
                    continue
                m = mask | (1 << p)
                nxt[m] = max(nxt.get(m, float("-inf")), v + score(g, p))
        dp = nxt
    return max(dp.values())


def tool_rl_terms(expected: list, predicted: list) -> dict:
    r_name = _jaccard({c["name"] for c in expected}, {c["name"] for c in predicted})

    def pair_param(g, p):
        if expected[g]["name"] != predicted[p]["name"]:
            return 0
        return _jaccard(set(expected[g]["arguments"]), set(predicted[p]["arguments"]))

    def pair_value(g, p):
        if expected[g]["name"] != predicted[p]["name"]:
            return 0
        pa = predicted[p]["arguments"]
        return sum(1 for k, v in expected[g]["arguments"].items() if k in pa and json_equal(v, pa[k]))

    best = _best_pairing(len(expected), len(predicted), lambda g, p: pair_param(g, p) + pair_value(g, p))
    r_param = _best_pairing(len(expected), len(predicted), pair_param)
    r_value = _best_pairing(len(expected), len(predicted), pair_value)
    key_count = sum(len(c["arguments"]) for c in expected)
    s_max = 1 + len(expected) + key_count
    r_max = r_name + best
    correctness = 3 if not expected and not predicted else (6 * r_max) / s_max - 3
    return {"rName": r_name, "rParam": r_param, "rValue": r_value, "keyCount": key_count, "sMax": s_max, "rMax": r_max, "correctness": correctness}


def compute_reward(output: Any, expected: list, config: dict, tools: Optional[list] = None, environment: Any = None,
                   prefix: Optional[list] = None) -> dict:
    """computeReward: {"total", "components", "weights"}. `output` is the model's text (or a ParsedOutput);
    `expected` the gold calls [{"name", "arguments", "alternatives"?}]; `prefix` the calls of earlier chain steps."""
    parsed = output if isinstance(output, ParsedOutput) else parse_model_output(output)
    pred = parsed.calls
    gold = expected
    wants_calls = len(gold) > 0
    format_ok = (
        parsed.error is None
        and ((parsed.format != "text" and len(pred) > 0) if wants_calls else (len(pred) == 0 and len(parsed.content) > 0))
        and (not config.get("require_think") or parsed.think is not None)
    )
    intent = 1 if (len(pred) > 0) == wants_calls else 0
    terms = tool_rl_terms(gold, pred)

    by_name = {t["function"]["name"]: t for t in (tools or [])}
    matchers = [GoldMatcher(g, by_name.get(g["name"])) for g in gold]
    full = max_matching(len(gold), len(pred), lambda g, p: matchers[g].check(pred[p]))
    params = 1 if not gold and not pred else len(full) / max(len(gold), len(pred))
    exact = len(gold) == len(pred) and len(full) == len(gold)

    execution: float = intent
    all_executed = True
    if environment is not None and pred:
        # The reference calls run too: a call that fails exactly as its reference does is not punished.
        ref_world = environment.create()
        for c in prefix or []:
            ref_world.execute(c["name"], c["arguments"])
        ref_errors = []
        for g in gold:
            r = ref_world.execute(g["name"], g["arguments"])
            ref_errors.append(None if r["ok"] else r["error"]["type"])
        gold_of = {p: g for g, p in full}
        world = environment.create()
        for c in prefix or []:
            world.execute(c["name"], c["arguments"])
        ok = 0
        for p, c in enumerate(pred):
            r = world.execute(c["name"], c["arguments"])
            g = gold_of.get(p)
            if r["ok"] or (g is not None and ref_errors[g] == r["error"]["type"]):
                ok += 1
        execution = ok / len(pred)
        all_executed = ok == len(pred)

    if gold:
        param_names = terms["rParam"] / len(gold)
    else:
        param_names = 0 if pred else 1
    components = {
        "format": 1 if format_ok else 0,
        "intent": intent,
        "tool_name": terms["rName"],
        "param_names": param_names,
        "param_values": terms["rValue"] / terms["keyCount"] if terms["keyCount"] else intent,
        "params": params,
        "execution": execution,
        "correctness": terms["correctness"],
        "binary": 1 if format_ok and exact and all_executed else 0,
    }
    total = 0
    for name, w in config["weights"].items():
        total += w * components[name]
    return {"total": total, "components": components, "weights": dict(config["weights"])}
