// Token-length estimate for the "longer than the configured context" check when no tokenizer is at hand.
// Qwen's BPE gives roughly one token per CJK character and one per ~3.5 other characters; the estimate
// errs long on purpose (a false "too long" is visible in the report, a silent overflow is not).

export type TokenCounter = (text: string) => number;

export const estimateTokens: TokenCounter = (text) => {
  let cjk = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x3000 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7af) || (c >= 0xff00 && c <= 0xffef)) cjk++;
  }
  return cjk + Math.ceil((text.length - cjk) / 3.5);
};
