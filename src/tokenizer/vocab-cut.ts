// Cuts a byte-level BPE tokenizer.json (Qwen's) down to the tokens a corpus uses, for the tiny CPU model.
//
// Kept: every token the corpus tokenizes to, every intermediate token its merges pass through (the closure
// over all merges that create a kept token contains every merge that encoding the corpus applies),
// the 256 byte tokens (so any text still encodes, byte by byte), and all added/special tokens. Merges are kept
// when both parts and the result are kept, in their original order (rank). Encoding the corpus with the cut
// tokenizer then gives the same tokens as Qwen's, renumbered; `tinyToQwen[i]` is the Qwen id of tiny id i.

export interface CutTokenizer {
  tokenizerJson: Record<string, unknown>;
  /** tiny id -> original id */
  tinyToQwen: number[];
  /** original id -> tiny id */
  qwenToTiny: Map<number, number>;
}

/** GPT-2 byte-to-unicode table: the 256 characters byte-level BPE uses as its alphabet. */
export function byteLevelAlphabet(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  return cs.map((c) => String.fromCharCode(c));
}

type BpeJson = {
  model: { type: string; vocab: Record<string, number>; merges: ([string, string] | string)[] };
  added_tokens: { id: number; content: string }[];
};

export function cutVocabulary(original: unknown, usedIds: Iterable<number>): CutTokenizer {
  const tj = original as BpeJson;
  if (tj.model?.type !== 'BPE') throw new Error(`vocab cut: tokenizer model is ${tj.model?.type}, expected BPE`);
  const idToToken = new Map<number, string>();
  for (const [tok, id] of Object.entries(tj.model.vocab)) idToToken.set(id, tok);
  const addedIds = new Set(tj.added_tokens.map((t) => t.id));
  const merges = tj.model.merges.map((m) => (typeof m === 'string' ? (m.split(' ') as [string, string]) : m));
  // A token may be produced by more than one merge ("a bc", "ab c"): follow all of them.
  const madeBy = new Map<string, [string, string][]>();
  for (const [a, b] of merges) {
    const list = madeBy.get(a + b);
    if (list) list.push([a, b]);
    else madeBy.set(a + b, [[a, b]]);
  }

  const keep = new Set<string>(byteLevelAlphabet().filter((c) => c in tj.model.vocab));
  const visit = (tok: string) => {
    if (keep.has(tok)) return;
    keep.add(tok);
    for (const [a, b] of madeBy.get(tok) ?? []) {
      visit(a);
      visit(b);
    }
  };
  for (const id of usedIds) {
    if (addedIds.has(id)) continue;
    const tok = idToToken.get(id);
    if (tok === undefined) throw new Error(`vocab cut: id ${id} is not in the vocabulary`);
    visit(tok);
  }
  const keptTokens = [...keep].sort((a, b) => tj.model.vocab[a] - tj.model.vocab[b]);
  const vocab: Record<string, number> = {};
  const tinyToQwen: number[] = [];
  const qwenToTiny = new Map<number, number>();
  keptTokens.forEach((tok, i) => {
    vocab[tok] = i;
    tinyToQwen.push(tj.model.vocab[tok]);
    qwenToTiny.set(tj.model.vocab[tok], i);
  });
  const added = [...tj.added_tokens].sort((a, b) => a.id - b.id).map((t) => {
    const id = tinyToQwen.length;
    tinyToQwen.push(t.id);
    qwenToTiny.set(t.id, id);
    return { ...t, id };
  });
  const keptMerges = merges.filter(([a, b]) => keep.has(a) && keep.has(b) && keep.has(a + b));
  return {
    tokenizerJson: { ...(original as object), added_tokens: added, model: { ...tj.model, vocab, merges: keptMerges } },
    tinyToQwen,
    qwenToTiny,
  };
}
