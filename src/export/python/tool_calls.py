"""Reads tool calls out of raw model text, as the studio does: a port of src/tools/parse-output.ts and
src/tools/call-string.ts, standard library only.

Three formats: Qwen/Hermes `<tool_call>{"name", "arguments"}</tool_call>` blocks (optionally after a `<think>`
block), the original pipeline's JSON `{"tool_call": {"tool_name", "parameters"}}`, and the call string
`queryWeather(city=北京)`. Anything else is a plain answer. Malformed text gives an error kind (never an exception).

JavaScript semantics are kept where they decide a verdict: JSON numbers are doubles (an integral value is an int,
NaN/Infinity are not JSON), whitespace is ECMAScript's, and names accept U+00C0 and above.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Optional

# ECMAScript WhiteSpace + LineTerminator: what \s, trim() and /\S/ see in the TypeScript code.
JS_WS = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_WS_CLASS = "[" + re.escape(JS_WS) + "]"
_NAME_START = re.compile(r"[A-Za-z_$\u00C0-\U0010FFFF]")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_$.\-\u00C0-\U0010FFFF]")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?", re.ASCII)


def js_trim(s: str) -> str:
    return s.strip(JS_WS)


def js_number(v: Any) -> Any:
    """A JSON number as JavaScript holds it, then as the BFCL code sees it: integral -> int, else float."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v if abs(v) <= 2 ** 53 else js_number(float(v))
    if isinstance(v, float):
        return int(v) if v.is_integer() else v
    return v


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def js_json_parse(text: str) -> Any:
    """JSON.parse: strict JSON (no NaN/Infinity), numbers as JavaScript doubles. Raises ValueError."""
    return json.loads(text, parse_constant=_reject_constant, parse_int=lambda s: js_number(int(s)), parse_float=lambda s: js_number(float(s)))


def _is_object(v: Any) -> bool:
    return isinstance(v, dict)


@dataclass
class ParsedOutput:
    format: str  # 'hermes' | 'tool_call_json' | 'call_string' | 'text'
    calls: list = field(default_factory=list)  # [{"name": str, "arguments": dict}]
    content: str = ""
    think: Optional[str] = None
    error: Optional[str] = None  # the error kind (unclosed_tag, invalid_json, ...), None when the text parsed


def _fail(fmt: str, kind: str, think: Optional[str]) -> ParsedOutput:
    return ParsedOutput(format=fmt, calls=[], content="", think=think, error=kind)


OPEN = "<tool_call>"
CLOSE = "</tool_call>"


def parse_model_output(text: str) -> ParsedOutput:
    """parseModelOutput: never raises."""
    m = re.search("[^" + re.escape(JS_WS) + "]", text)
    think = None
    rest = text
    if m and text.startswith("<think>", m.start()):
        end = text.find("</think>", m.start())
        if end < 0:
            return ParsedOutput(format="text", error="unclosed_tag")
        think = js_trim(text[m.start() + 7:end])
        rest = text[end + 8:]
    if OPEN in rest or CLOSE in rest:
        return _parse_hermes(rest, think)
    trimmed = _strip_fence(js_trim(rest))
    if (trimmed.startswith("{") or trimmed.startswith("[")) and re.search('"tool_call"' + _WS_CLASS + "*:", trimmed):
        return _parse_tool_call_json(trimmed, think)
    if _looks_like_call_string(trimmed):
        r = parse_call_string(_unbracket(trimmed))
        if isinstance(r, str):
            return _fail("call_string", "invalid_call_string", think)
        return ParsedOutput(format="call_string", calls=r, content="", think=think)
    return ParsedOutput(format="text", calls=[], content=js_trim(rest), think=think)


def _parse_hermes(rest: str, think: Optional[str]) -> ParsedOutput:
    calls, content, pos = [], [], 0
    while True:
        open_at = rest.find(OPEN, pos)
        stray = rest.find(CLOSE, pos)
        if stray >= 0 and (open_at < 0 or stray < open_at):
            return _fail("hermes", "stray_closing_tag", think)
        if open_at < 0:
            content.append(rest[pos:])
            break
        content.append(rest[pos:open_at])
        body_start = open_at + len(OPEN)
        close = rest.find(CLOSE, body_start)
        next_open = rest.find(OPEN, body_start)
        if close < 0 or (0 <= next_open < close):
            return _fail("hermes", "unclosed_tag", think)
        try:
            value = js_json_parse(js_trim(rest[body_start:close]))
        except ValueError:
            return _fail("hermes", "invalid_json", think)
        if not _is_object(value):
            return _fail("hermes", "call_not_object", think)
        if not isinstance(value.get("name"), str) or value["name"] == "":
            return _fail("hermes", "missing_name", think)
        args = value.get("arguments")
        args = {} if args is None else args
        if not _is_object(args):
            return _fail("hermes", "arguments_not_object", think)
        calls.append({"name": value["name"], "arguments": args})
        pos = close + len(CLOSE)
    return ParsedOutput(format="hermes", calls=calls, content=js_trim("".join(content)), think=think)


_ABSENT = object()


def _parse_tool_call_json(text: str, think: Optional[str]) -> ParsedOutput:
    try:
        value = js_json_parse(text)
    except ValueError:
        return _fail("tool_call_json", "invalid_json", think)
    if isinstance(value, list):
        if not all(_is_object(v) for v in value):
            return _fail("tool_call_json", "call_not_object", think)
        flat = []
        for v in value:
            inner = v.get("tool_call", _ABSENT)
            flat.extend(inner if isinstance(inner, list) else [inner])
        value = {"tool_call": flat}
    if not _is_object(value):
        return _fail("tool_call_json", "call_not_object", think)
    raw = value.get("tool_call")
    items = [] if raw is None else raw if isinstance(raw, list) else [raw]
    calls = []
    for item in items:
        if not _is_object(item):
            return _fail("tool_call_json", "call_not_object", think)
        if not isinstance(item.get("tool_name"), str) or item["tool_name"] == "":
            return _fail("tool_call_json", "missing_name", think)
        params = item.get("parameters")
        params = {} if params is None else params
        if not _is_object(params):
            return _fail("tool_call_json", "arguments_not_object", think)
        calls.append({"name": item["tool_name"], "arguments": params})
    content = value["response"] if isinstance(value.get("response"), str) else ""
    return ParsedOutput(format="tool_call_json", calls=calls, content=content, think=think)


def _strip_fence(s: str) -> str:
    m = re.fullmatch(r"```[a-zA-Z]*" + _WS_CLASS + r"*\n([\s\S]*?)\n?```", s)
    return js_trim(m.group(1)) if m else s


def _looks_like_call_string(s: str) -> bool:
    body = js_trim(s[1:-1]) if s.startswith("[") and s.endswith("]") else s
    if not re.match(r"[A-Za-z_$\u00C0-\U0010FFFF][A-Za-z0-9_$.\-\u00C0-\U0010FFFF]*" + _WS_CLASS + r"*\(", body):
        return False
    return body.endswith(")") or bool(re.match(r"[^(]*\(" + _WS_CLASS + r"*[A-Za-z_$\u00C0-\U0010FFFF][A-Za-z0-9_$\u00C0-\U0010FFFF]*" + _WS_CLASS + r"*=", body))


def _unbracket(s: str) -> str:
    if not (s.startswith("[") and s.endswith("]")):
        return s
    chars = list(s[1:-1])
    depth, quote, i = 0, None, 0
    while i < len(chars):
        c = chars[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            chars[i] = "\n"
        i += 1
    return " " + "".join(chars) + " "


# ---------------------------------------------------------------------------------------------- call strings


class _ParseFailure(Exception):
    pass


def parse_call_string(text: str):
    """Calls [{"name", "arguments"}] or an error message (str)."""
    try:
        return _CallStringParser(text).parse_all()
    except _ParseFailure as e:
        return str(e) or "invalid call string"


def _js_space(c: str) -> bool:
    return c != "" and c in JS_WS


class _CallStringParser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def fail(self, message: str):
        raise _ParseFailure(message)

    def parse_all(self) -> list:
        calls = []
        self.skip_separators()
        if self.pos >= len(self.text):
            self.fail("expected a call like name(key=value), found nothing")
        while self.pos < len(self.text):
            calls.append(self.parse_call())
            self.skip_spaces()
            if self.pos >= len(self.text):
                break
            c = self.text[self.pos]
            if c not in (";", "\n", "\r"):
                self.fail(f"expected ';' or a new line between calls, found '{c}'")
            self.skip_separators()
        return calls

    def parse_call(self) -> dict:
        name = self.parse_name("tool name")
        self.skip_spaces()
        self.expect("(", f"expected '(' after tool name '{name}'")
        args: dict = {}
        self.skip_whitespace()
        while self.peek() != ")":
            key = self.parse_name("parameter name")
            if key in args:
                self.fail(f"parameter '{key}' given twice")
            self.skip_spaces()
            self.expect("=", f"expected '=' after parameter '{key}'")
            self.skip_spaces()
            args[key] = self.parse_value()
            self.skip_whitespace()
            if self.peek() == ",":
                self.pos += 1
                self.skip_whitespace()
            elif self.peek() != ")":
                self.fail(f"missing ')' to close '{name}('" if self.pos >= len(self.text) else "expected ',' or ')'")
        self.pos += 1
        return {"name": name, "arguments": args}

    def parse_name(self, what: str) -> str:
        start = self.pos
        if not _NAME_START.match(self.peek() or " "):
            self.fail(f"expected {what}")
        while self.pos < len(self.text) and _NAME_CHAR.match(self.text[self.pos]) and self.text[self.pos] != "=":
            self.pos += 1
        return self.text[start:self.pos]

    def parse_value(self) -> Any:
        c = self.peek()
        if c == '"':
            return self.parse_json_string()
        if c == "'":
            return self.parse_single_quoted()
        if c in ("[", "{"):
            return self.parse_json_block()
        return self.parse_bare()

    def parse_json_string(self) -> str:
        start = self.pos
        self.pos += 1
        while self.pos < len(self.text) and self.text[self.pos] != '"':
            self.pos += 2 if self.text[self.pos] == "\\" else 1
        if self.pos >= len(self.text):
            self.fail("unterminated string")
        self.pos += 1
        try:
            return js_json_parse(self.text[start:self.pos])
        except ValueError:
            self.fail("bad escape in string")

    def parse_single_quoted(self) -> str:
        self.pos += 1
        out = []
        while self.pos < len(self.text) and self.text[self.pos] != "'":
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < len(self.text):
                nxt = self.text[self.pos + 1]
                out.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
                self.pos += 2
            else:
                out.append(ch)
                self.pos += 1
        if self.pos >= len(self.text):
            self.fail("unterminated string")
        self.pos += 1
        return "".join(out)

    def parse_json_block(self) -> Any:
        start = self.pos
        depth = 0
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == '"':
                self.pos += 1
                while self.pos < len(self.text) and self.text[self.pos] != '"':
                    self.pos += 2 if self.text[self.pos] == "\\" else 1
            elif ch in "[{":
                depth += 1
            elif ch in "]}":
                depth -= 1
                if depth == 0:
                    self.pos += 1
                    try:
                        return js_json_parse(self.text[start:self.pos])
                    except ValueError as e:
                        self.fail(f"value is not valid JSON: {e}")
            self.pos += 1
        self.fail("unclosed JSON value")

    def parse_bare(self) -> Any:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ",)\n;":
            self.pos += 1
        raw = js_trim(self.text[start:self.pos])
        if raw == "":
            self.fail("missing value")
        if raw == "true":
            return True
        if raw == "false":
            return False
        if raw == "null":
            return None
        if _JSON_NUMBER.fullmatch(raw):
            n = float(raw)
            if n not in (float("inf"), float("-inf")):
                return js_number(n)
        return raw

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in (" ", "\t"):
            self.pos += 1

    def skip_whitespace(self) -> None:
        while self.pos < len(self.text) and _js_space(self.text[self.pos]):
            self.pos += 1

    def skip_separators(self) -> None:
        while self.pos < len(self.text) and (_js_space(self.text[self.pos]) or self.text[self.pos] == ";"):
            self.pos += 1

    def expect(self, ch: str, message: str) -> None:
        if self.peek() != ch:
            self.fail(message)
        self.pos += 1
