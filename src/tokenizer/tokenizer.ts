// The model's tokenizer: tokenizer.json + tokenizer_config.json, built from parsed JSON so the same code serves a
// hub download, a dropped folder, the tiny model and Node tests. Chat rendering uses the model's own chat template,
// tools included.
//
// Built on the two packages transformers.js's PreTrainedTokenizer is made of (@huggingface/tokenizers for the BPE,
// @huggingface/jinja for the template), used the way it uses them, so encoding, decoding and rendering are the
// same bytes (tests/unit/tokenizer/transformers-parity.test.ts) without shipping transformers.js and its 27 MB
// onnxruntime wasm to the studio.

import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { readText, type FileProvider } from '../model/byte-source.ts';
import type { ToolDefinition } from '../tools/types.ts';
import type { ChatMessage } from './chat-messages.ts';

export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

export interface RenderOptions {
  tools?: ToolDefinition[];
  /** Append the assistant header so the model continues with its answer. */
  addGenerationPrompt?: boolean;
  /** Qwen3 templates: false renders an empty think block (no reasoning). */
  enableThinking?: boolean;
}

/** The special-token variables a chat template sees, as PreTrainedTokenizer.apply_chat_template passes them. */
const TEMPLATE_TOKENS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

/** A token named in tokenizer_config.json: a string, or an AddedToken object ({__type: "AddedToken", content}). */
function configToken(config: Record<string, unknown>, key: string): string | null {
  const item = config[key];
  if (!item) return null;
  if (typeof item === 'object') {
    const t = item as { __type?: unknown; content?: unknown };
    if (t.__type === 'AddedToken' && typeof t.content === 'string') return t.content;
    throw new TokenizerError(`tokenizer_config.json: ${key} is an object but not an AddedToken`);
  }
  return String(item);
}

export class ChatTokenizer {
  readonly vocabSize: number;
  /** Token ids that end an assistant turn (`<|im_end|>`, and the config's eos). */
  readonly stopIds: number[];
  readonly padId: number;

  private template: Template | null = null;
  private readonly templateTokens: Record<string, string> = {};

  constructor(
    readonly inner: Tokenizer,
    readonly config: Record<string, unknown>,
  ) {
    for (const key of TEMPLATE_TOKENS) {
      const v = configToken(config, key);
      if (v) this.templateTokens[key] = v;
    }
    const imEnd = this.tokenId('<|im_end|>');
    const eos = typeof config.eos_token === 'string' ? this.tokenId(config.eos_token) : undefined;
    this.stopIds = [...new Set([imEnd, eos].filter((x): x is number => x !== undefined))];
    const pad = typeof config.pad_token === 'string' ? this.tokenId(config.pad_token) : undefined;
    this.padId = pad ?? this.stopIds[0] ?? 0;
    // Largest id + 1 (added tokens sit after the BPE vocabulary).
    const ids = [...inner.get_vocab().values()];
    this.vocabSize = ids.reduce((m, id) => Math.max(m, id), -1) + 1;
  }

  /** From parsed tokenizer.json and tokenizer_config.json. */
  static fromJson(tokenizerJson: unknown, tokenizerConfig: Record<string, unknown>): ChatTokenizer {
    if (typeof tokenizerConfig.chat_template !== 'string') {
      throw new TokenizerError('tokenizer_config.json: field "chat_template" is missing (an instruct/chat model is needed for tool calling)');
    }
    return new ChatTokenizer(new Tokenizer(tokenizerJson as object, tokenizerConfig), tokenizerConfig);
  }

  /** From a model folder (hub download, dropped folder, tiny model). */
  static async fromFiles(files: FileProvider): Promise<ChatTokenizer> {
    const tj = await files('tokenizer.json');
    if (!tj) throw new TokenizerError('tokenizer.json is missing from the model folder');
    const tc = await files('tokenizer_config.json');
    if (!tc) throw new TokenizerError('tokenizer_config.json is missing from the model folder');
    const parse = async (src: typeof tj, name: string) => {
      try {
        return JSON.parse(await readText(src));
      } catch (e) {
        throw new TokenizerError(`${name} is not valid JSON (${(e as Error).message})`);
      }
    };
    return ChatTokenizer.fromJson(await parse(tj, 'tokenizer.json'), await parse(tc, 'tokenizer_config.json'));
  }

  /** Id of a single token (special tokens included), or undefined. */
  tokenId(token: string): number | undefined {
    const ids = this.encode(token);
    return ids.length === 1 && this.decode(ids) === token ? ids[0] : undefined;
  }

  encode(text: string): number[] {
    return this.inner.encode(text, { add_special_tokens: false }).ids;
  }

  /** Text of the ids (at least one, as PreTrainedTokenizer.decode requires). */
  decode(ids: ArrayLike<number>, skipSpecial = false): string {
    const list = Array.from(ids);
    if (list.length === 0 || !Number.isInteger(list[0])) throw new TokenizerError('decode: token_ids must be a non-empty array of integers');
    return this.inner.decode(list, { skip_special_tokens: skipSpecial, clean_up_tokenization_spaces: null });
  }

  /** The conversation rendered by the model's own chat template. */
  render(messages: ChatMessage[], opts: RenderOptions = {}): string {
    this.template ??= new Template(this.config.chat_template as string);
    return this.template.render({
      messages,
      add_generation_prompt: opts.addGenerationPrompt ?? false,
      tools: opts.tools ?? null,
      documents: null,
      ...this.templateTokens,
      ...(opts.enableThinking !== undefined ? { enable_thinking: opts.enableThinking } : {}),
    });
  }
}
