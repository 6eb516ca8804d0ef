// BFCL questions as our conversations and tool definitions, so a model is asked them with its own chat template (as
// BFCL's function-calling handlers do: the functions go into the template's tool list, the model answers with its own
// call format, which is decoded and checked by the AST checker). Parameter types are mapped from BFCL's Python names
// to JSON Schema as BFCL's GORILLA_TO_OPENAPI table does (dict -> object, float -> number, tuple -> array; a property
// without a type is a string), and function names are kept as they are (dots included).
import type { Conversation, Turn } from '../../data/conversation.ts';
import type { ToolDefinition } from '../../tools/types.ts';
import { toJsonSchema } from '../../tools/validate-args.ts';
import type { BfclQuestion } from './bfcl-data.ts';

export class BfclPromptError extends Error {
  override name = 'BfclPromptError';
}

function withStringDefault(schema: Record<string, unknown>): Record<string, unknown> {
  const props = schema.properties;
  if (!props || typeof props !== 'object') return schema;
  const fixed = Object.fromEntries(Object.entries(props as Record<string, Record<string, unknown>>).map(([k, v]) => [k, v && typeof v === 'object' && !('type' in v) ? { ...v, type: 'string' } : v]));
  return { ...schema, properties: fixed };
}

export function bfclTools(q: Pick<BfclQuestion, 'functions'>): ToolDefinition[] {
  return q.functions.map((f) => ({
    type: 'function',
    function: { name: f.name, ...(f.description ? { description: f.description } : {}), parameters: withStringDefault(toJsonSchema(f.parameters) as Record<string, unknown>) },
  }));
}

/** The first turn's messages (the single-turn categories have one): an optional system message and user messages. */
export function bfclConversation(q: Pick<BfclQuestion, 'id' | 'question'>): Conversation {
  const turns = q.question;
  if (!Array.isArray(turns) || !Array.isArray(turns[0])) throw new BfclPromptError(`${q.id}: field "question" must be a list of turns, each a list of messages`);
  let system: string | undefined;
  const out: Turn[] = [];
  for (const [i, m] of (turns[0] as unknown[]).entries()) {
    const msg = m as { role?: unknown; content?: unknown };
    if (typeof msg?.content !== 'string') throw new BfclPromptError(`${q.id}: question[0][${i}].content must be a string`);
    if (msg.role === 'system') system = system === undefined ? msg.content : `${system}\n${msg.content}`;
    else if (msg.role === 'user') out.push({ role: 'user', content: msg.content });
    else throw new BfclPromptError(`${q.id}: question[0][${i}].role is ${JSON.stringify(msg.role)}; single-turn categories have system and user messages`);
  }
  if (!out.length) throw new BfclPromptError(`${q.id}: the question has no user message`);
  return { ...(system !== undefined ? { system } : {}), turns: out };
}
