// Incremental detokenization for streaming generation to the UI: emits only the new text after each token,
// and holds back a tail that is not yet valid UTF-8 (byte-level BPE can split one character over tokens).

import type { ChatTokenizer } from './tokenizer.ts';

export class TextStream {
  private ids: number[] = [];
  private emitted = '';

  constructor(
    private readonly tok: ChatTokenizer,
    private readonly skipSpecial = false,
  ) {}

  /** Appends a token; returns the text it completes ('' while a character is still partial). */
  push(id: number): string {
    this.ids.push(id);
    const text = this.tok.decode(this.ids, this.skipSpecial);
    // U+FFFD at the end means the last bytes do not form a whole character yet.
    if (text.endsWith('\uFFFD')) return '';
    if (!text.startsWith(this.emitted)) {
      // Decoding is not prefix-stable here (rare, e.g. cleanup rules): emit nothing new rather than garble.
      this.emitted = text;
      return '';
    }
    const delta = text.slice(this.emitted.length);
    this.emitted = text;
    return delta;
  }

  /** Everything emitted so far. */
  get text(): string {
    return this.emitted;
  }
}
