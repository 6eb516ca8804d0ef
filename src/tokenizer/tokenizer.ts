// The model's tokenizer: tokenizer.json + tokenizer_config.json through @huggingface/transformers, built from
// parsed JSON so the same code serves a hub download, a dropped folder, the tiny model and Node tests.
// Chat rendering uses the model's own chat template (apply_chat_template), tools included.

import { PreTrainedTokenizer } from '@huggingface/transformers';
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

export class ChatTokenizer {
  readonly vocabSize: number;
  /** Token ids that end an assistant turn (`<|im_end|>`, and the config's eos). */
  readonly stopIds: number[];
  readonly padId: number;

  constructor(
    readonly inner: PreTrainedTokenizer,
    readonly config: Record<string, unknown>,
  ) {
    const imEnd = this.tokenId('<|im_end|>');
    const eos = typeof config.eos_token === 'string' ? this.tokenId(config.eos_token) : undefined;
    this.stopIds = [...new Set([imEnd, eos].filter((x): x is number => x !== undefined))];
    const pad = typeof config.pad_token === 'string' ? this.tokenId(config.pad_token) : undefined;
    this.padId = pad ?? this.stopIds[0] ?? 0;
    // Largest id + 1 (added tokens sit after the BPE vocabulary).
    const vocab = inner.get_vocab() as Map<string, number> | Record<string, number>;
    const ids = vocab instanceof Map ? [...vocab.values()] : Object.values(vocab);
    this.vocabSize = ids.reduce((m, id) => Math.max(m, id), -1) + 1;
  }

  /** From parsed tokenizer.json and tokenizer_config.json. */
  static fromJson(tokenizerJson: unknown, tokenizerConfig: Record<string, unknown>): ChatTokenizer {
    if (typeof tokenizerConfig.chat_template !== 'string') {
      throw new TokenizerError('tokenizer_config.json: field "chat_template" is missing (an instruct/chat model is needed for tool calling)');
    }
    return new ChatTokenizer(new PreTrainedTokenizer(tokenizerJson as object, tokenizerConfig), tokenizerConfig);
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
    const ids = this.inner.encode(token, { add_special_tokens: false });
    return ids.length === 1 && this.inner.decode(ids) === token ? ids[0] : undefined;
  }

  encode(text: string): number[] {
    return this.inner.encode(text, { add_special_tokens: false });
  }

  decode(ids: ArrayLike<number>, skipSpecial = false): string {
    return this.inner.decode(Array.from(ids), { skip_special_tokens: skipSpecial });
  }

  /** The conversation rendered by the model's own chat template. */
  render(messages: ChatMessage[], opts: RenderOptions = {}): string {
    const out = this.inner.apply_chat_template(messages as unknown as Parameters<PreTrainedTokenizer['apply_chat_template']>[0], {
      tools: opts.tools as unknown as Record<string, unknown>[] | undefined,
      tokenize: false,
      add_generation_prompt: opts.addGenerationPrompt ?? false,
      ...(opts.enableThinking !== undefined ? { enable_thinking: opts.enableThinking } : {}),
    } as Record<string, unknown>);
    if (typeof out !== 'string') throw new TokenizerError('apply_chat_template did not return text');
    return out;
  }
}
