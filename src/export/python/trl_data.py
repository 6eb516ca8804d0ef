"""Datasets of a Tool-Use RL Studio export, prepared as the studio prepares them (standard library only, so it can
be checked without PyTorch): TRL conversational JSONL in, token ids with an assistant-only loss mask out.

The mask is found in token space exactly as src/tokenizer/loss-mask.ts finds it: 1 from after each
`<|im_start|>assistant` header (and its newline) through the closing `<|im_end|>`, 0 elsewhere; conversations longer
than max_seq_len are cut there, and a conversation with no loss token left (after its first token) is dropped.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Optional


def load_jsonl(path: str) -> list:
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def assistant_spans(ids: list, im_start: int, im_end: int, role: list, newline: list) -> list:
    """[start, end) of every assistant turn: after `<|im_start|>assistant` (and its newline), through `<|im_end|>`."""
    spans = []
    i = 0
    n = len(ids)
    while i < n:
        if ids[i] != im_start:
            i += 1
            continue
        j = i + 1
        if ids[j:j + len(role)] != role:
            i += 1
            continue
        j += len(role)
        # The header's own newline is template structure, not output.
        if len(newline) == 1 and j < n and ids[j] == newline[0]:
            j += 1
        end = j
        while end < n and ids[end] != im_end:
            end += 1
        if end == n:
            raise ValueError(f"assistant turn starting at token {i} has no closing <|im_end|>")
        spans.append((j, end + 1))
        i = end + 1
    return spans


def loss_mask(ids: list, spans: Iterable) -> list:
    mask = [0] * len(ids)
    for s, e in spans:
        for k in range(s, e):
            mask[k] = 1
    return mask


class ChatTokens:
    """The tokenizer-dependent pieces: rendering with the chat template, encoding, and the ChatML marker ids."""

    def __init__(self, render: Callable[[list, Optional[list]], str], encode: Callable[[str], list], token_id: Callable[[str], int]):
        self.render = render
        self.encode = encode
        self.im_start = token_id("<|im_start|>")
        self.im_end = token_id("<|im_end|>")
        self.role = encode("assistant")
        self.newline = encode("\n")

    @staticmethod
    def from_hf(tokenizer: Any) -> "ChatTokens":
        """From a transformers tokenizer whose chat_template is already the studio's."""
        return ChatTokens(
            render=lambda messages, tools: tokenizer.apply_chat_template(messages, tools=tools or None, tokenize=False),
            encode=lambda text: tokenizer.encode(text, add_special_tokens=False),
            token_id=tokenizer.convert_tokens_to_ids,
        )


def tokenize_conversation(chat: ChatTokens, messages: list, tools: Optional[list]) -> tuple:
    text = chat.render(messages, tools)
    ids = list(chat.encode(text))
    spans = assistant_spans(ids, chat.im_start, chat.im_end, chat.role, chat.newline)
    expected = sum(1 for m in messages if m.get("role") == "assistant")
    if len(spans) != expected:
        raise ValueError(f"found {len(spans)} assistant turns in the rendered conversation but it has {expected} assistant messages")
    return ids, loss_mask(ids, spans)


def sft_examples(chat: ChatTokens, rows: list, tools: list, max_seq_len: int, prompt_tools: bool) -> tuple:
    """({"input_ids", "assistant_masks"} rows, stats) as src/train/sft-data.ts prepares SFT examples."""
    out = []
    stats = {"truncated": 0, "dropped": 0, "tokens": 0}
    for row in rows:
        render_tools = (row.get("tools") or tools) if prompt_tools else []
        ids, mask = tokenize_conversation(chat, row["messages"], render_tools)
        if len(ids) > max_seq_len:
            ids, mask = ids[:max_seq_len], mask[:max_seq_len]
            stats["truncated"] += 1
        if not any(m == 1 for m in mask[1:]):
            stats["dropped"] += 1
            continue
        out.append({"input_ids": ids, "assistant_masks": mask})
        stats["tokens"] += len(ids)
    return out, stats


def message_text(m: dict) -> str:
    """An assistant message as the studio's reward reads it: its text, then one <tool_call> block per parsed call
    (TRL hands conversational completions as message lists with parsed tool_calls)."""
    parts = [m.get("content") or ""]
    for call in m.get("tool_calls") or []:
        fn = call.get("function", call)
        args = fn.get("arguments", {})
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except ValueError:
                pass
        parts.append("<tool_call>\n" + json.dumps({"name": fn.get("name"), "arguments": args}, ensure_ascii=False) + "\n</tool_call>")
    return "\n".join(p for p in parts if p)


def completion_turns(completion: Any) -> list:
    """The text of every assistant turn of a completion (a multi-turn tool rollout holds several, with tool messages
    between them); a plain-text completion is one turn."""
    if isinstance(completion, str):
        return [completion]
    return [message_text(m) for m in completion if m.get("role") == "assistant"]


def completion_text(completion: Any) -> str:
    """The text of a completion's first assistant turn."""
    turns = completion_turns(completion)
    return turns[0] if turns else ""
