"""Whether one predicted call matches one gold call with BFCL's AST rules (string normalisation, int accepted for
float, allowed values, "" = may be omitted, unexpected parameters fail): a port of src/eval/match.ts and of the
single-call checker in src/eval/bfcl/ast-checker.ts, standard library only.

BFCL's checker is Python in the first place, so Python's own == and `in` give its semantics; values come in as
JavaScript numbers (tool_calls.js_number: an integral number is an int).
"""

from __future__ import annotations

import re
from typing import Any, Optional

from tool_calls import js_number

PYTHON_TYPE = {
    "string": "str", "integer": "int", "float": "float", "number": "float", "boolean": "bool",
    "array": "list", "tuple": "list", "dict": "dict", "object": "dict", "any": "str",
}
NESTED_CHECKED = {"array", "tuple"}


def py_type(v: Any) -> str:
    if v is None:
        return "NoneType"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "str"
    if isinstance(v, list):
        return "list"
    return "dict"


def from_js(v: Any) -> Any:
    """fromJs: integral numbers become int (they are already, after tool_calls.js_json_parse)."""
    if isinstance(v, list):
        return [from_js(x) for x in v]
    if isinstance(v, dict):
        return {k: from_js(x) for k, x in v.items()}
    return js_number(v)


def py_contains(container: Any, item: Any) -> bool:
    if isinstance(container, list):
        return any(x == item for x in container)
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, dict):
        return isinstance(item, str) and item in container
    return False


def py_len(v: Any) -> Optional[int]:
    return len(v) if isinstance(v, (str, list, dict)) else None


def py_sequence(v: Any) -> Optional[list]:
    if isinstance(v, list):
        return v
    if isinstance(v, str):
        return list(v)
    return None


def standardize_string(s: str) -> str:
    return re.sub(r"[ ,./\-_*^]", "", s).lower().replace("'", '"')


def _std(v: Any) -> Any:
    return standardize_string(v) if isinstance(v, str) else v


def _possible_answer_type(allowed: list) -> Optional[str]:
    for a in allowed:
        if not (isinstance(a, str) and a == ""):
            return py_type(a)
    return None


def _type_check(value: Any, allowed: list, expected: str, nested: Optional[str]):
    """(valid, is_variable)"""
    answer_type = _possible_answer_type(allowed)
    is_variable = answer_type is not None and answer_type != expected
    if py_type(value) == expected:
        if nested is None:
            return True, is_variable
        for item in allowed:
            flag = True
            if isinstance(item, list):
                for v in value:
                    if not _type_check(v, item, nested, None)[0]:
                        flag = False
                        break
            if flag:
                return True, is_variable
        return False, is_variable
    if answer_type is not None and py_type(value) == answer_type:
        return True, True
    return False, is_variable


def _string_check(value: str, allowed: list) -> bool:
    return standardize_string(value) in [standardize_string(a) for a in allowed if isinstance(a, str)]


def _list_check(value: list, allowed: list) -> bool:
    std_value = [_std(v) for v in value]
    return any(std_value == [_std(x) for x in (py_sequence(a) or [])] for a in allowed)


def _dict_check(value: Any, allowed: list) -> bool:
    if not isinstance(value, dict):
        return False
    for candidate in allowed:
        if candidate == "":
            continue
        cand = candidate if isinstance(candidate, dict) else {}
        flag = True
        for key, v in value.items():
            if key not in cand or not py_contains([_std(x) for x in (py_sequence(cand[key]) or [])], _std(v)):
                flag = False
                break
        if flag:
            for key, allowed_values in cand.items():
                if key not in value and not py_contains(allowed_values, ""):
                    flag = False
                    break
        if flag:
            return True
    return False


def _list_dict_check(value: list, allowed: list) -> bool:
    for candidate in allowed:
        if py_len(candidate) != len(value):
            continue
        items = py_sequence(candidate) or []
        if all(_dict_check(value[i], [items[i] if i < len(items) else None]) for i in range(len(value))):
            return True
    return False


def check_simple_call(fn: dict, name: str, args: dict, answer: dict) -> bool:
    """checkSimpleCall(...).valid: the checks in BFCL's order, the first failing one decides."""
    allowed_by_param = next(iter(answer.values()), {})
    properties = fn["parameters"].get("properties") or {}
    required = fn["parameters"].get("required") or []
    if name != fn["name"]:
        return False
    if any(p not in args for p in required):
        return False
    for param, raw in args.items():
        if param not in properties or param not in allowed_by_param:
            return False
        allowed = allowed_by_param[param]
        expected_desc = properties[param].get("type") or "any"
        expected = PYTHON_TYPE.get(expected_desc)
        if expected is None:
            return False
        nested_desc = (properties[param].get("items") or {}).get("type") if expected_desc in NESTED_CHECKED else None
        nested = PYTHON_TYPE.get(nested_desc) if nested_desc is not None else None
        value = raw
        if expected_desc in ("float", "number") and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        ok, is_variable = _type_check(value, allowed, expected, nested)
        if not ok:
            return False
        if not is_variable:
            verdict = None
            if expected == "dict":
                verdict = _dict_check(value, allowed)
            elif expected == "list" and nested == "dict":
                verdict = _list_dict_check(value, allowed)
            elif expected == "str":
                verdict = _string_check(value, allowed)
            elif expected == "list":
                verdict = _list_check(value, allowed)
            if verdict is not None:
                if not verdict:
                    return False
                continue
        if not py_contains(allowed, value):
            return False
    for param, allowed in allowed_by_param.items():
        if param not in args and not py_contains(allowed, ""):
            return False
    return True


# ---------------------------------------------------------------------------------------------- gold calls


def _infer_type(v: Any) -> str:
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "float"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "dict"
    return "any"


def _bfcl_type(schema: Optional[dict], sample: Any) -> str:
    t = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    mapping = {"string": "string", "integer": "integer", "number": "float", "boolean": "boolean", "array": "array", "object": "dict"}
    if t in mapping:
        return mapping[t]
    if t in ("dict", "float", "tuple", "any"):
        return t
    return _infer_type(sample)


def _infer_item_type(sample: Any) -> Optional[str]:
    if not isinstance(sample, list) or len(sample) == 0:
        return None
    kinds = set()
    for v in sample:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            kinds.add("integer" if isinstance(v, int) else "float")
        else:
            kinds.add(_infer_type(v))
    return next(iter(kinds)) if len(kinds) == 1 else None


def _param_for(schema: Optional[dict], sample: Any) -> dict:
    t = _bfcl_type(schema, sample)
    if t not in ("array", "tuple"):
        return {"type": t}
    items = schema.get("items") if isinstance(schema, dict) else None
    item_type = _bfcl_type(items, None) if isinstance(items, dict) and items.get("type") is not None else _infer_item_type(sample)
    return {"type": t} if item_type is None else {"type": t, "items": {"type": item_type}}


def bfcl_function_for(gold: dict, tool: Optional[dict]) -> dict:
    props = ((tool or {}).get("function", {}).get("parameters") or {}).get("properties") or {}
    args = gold["arguments"]
    alts = gold.get("alternatives") or {}
    properties = {p: _param_for(s, args.get(p)) for p, s in props.items()}

    def sample_of(p):
        if args.get(p) is not None:
            return args[p]
        return next((v for v in alts.get(p, []) if v != ""), None)

    for p in list(args) + list(alts):
        if p not in properties:
            properties[p] = _param_for(None, sample_of(p))
    if tool is not None:
        required = tool["function"].get("parameters", {}).get("required") or []
    else:
        required = [p for p in args if "" not in alts.get(p, [])]
    return {"name": gold["name"], "parameters": {"type": "dict", "properties": properties, "required": required}}


def _wrap_dict(d: dict) -> dict:
    return {k: [x] for k, x in d.items()}


def _as_possible(v: Any, param: dict) -> Any:
    if param.get("type") == "dict" and isinstance(v, dict):
        return _wrap_dict(v)
    if param.get("type") in ("array", "tuple") and (param.get("items") or {}).get("type") == "dict" and isinstance(v, list):
        return [_wrap_dict(x) if isinstance(x, dict) else x for x in v]
    return v


def possible_answer_for(gold: dict, fn: dict) -> dict:
    props = fn["parameters"]["properties"]
    params = {p: [_as_possible(from_js(v), props[p])] for p, v in gold["arguments"].items()}
    for p, alts in (gold.get("alternatives") or {}).items():
        params[p] = params.get(p, []) + ["" if a == "" else _as_possible(from_js(a), props[p]) for a in alts]
    return {gold["name"]: params}


class GoldMatcher:
    """One gold call, compiled once: check(pred) is BFCL's verdict on a predicted call."""

    def __init__(self, gold: dict, tool: Optional[dict] = None):
        self.gold = gold
        self.fn = bfcl_function_for(gold, tool)
        self.answer = possible_answer_for(gold, self.fn)

    def check(self, pred: dict) -> bool:
        args = from_js(pred["arguments"])
        return check_simple_call(self.fn, pred["name"], args if isinstance(args, dict) else {}, self.answer)


def json_equal(a: Any, b: Any) -> bool:
    """jsonEqual: exact equality of JSON values (true is not 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and len(a) == len(b) and all(k in b and json_equal(a[k], b[k]) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def max_matching(n_gold: int, n_pred: int, ok) -> list:
    """maxMatching: Kuhn's augmenting paths, pairs [gold, pred] sorted by gold."""
    pred_owner = [-1] * n_pred
    adj = [[p for p in range(n_pred) if ok(g, p)] for g in range(n_gold)]

    def try_assign(g: int, seen: list) -> bool:
        for p in adj[g]:
            if seen[p]:
                continue
            seen[p] = True
            if pred_owner[p] < 0 or try_assign(pred_owner[p], seen):
                pred_owner[p] = g
                return True
        return False

    for g in range(n_gold):
        try_assign(g, [False] * n_pred)
    pairs = [(g, p) for p, g in enumerate(pred_owner) if g >= 0]
    return sorted(pairs, key=lambda x: x[0])
