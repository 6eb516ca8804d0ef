// The shipped tiny model (public/models/tiny): loads from disk through the normal path, tokenizes the sample
// data with assistant-only loss masks, and runs forward + generation on the GPU.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/engine/index.ts';
import { readDatasetText } from '../../../src/data/read-dataset.ts';
import { generate, GREEDY } from '../../../src/model/generate.ts';
import { loadModel } from '../../../src/model/load.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import { tokenizeConversation, tokenizePrompt } from '../../../src/tokenizer/loss-mask.ts';
import type { ToolDefinition } from '../../../src/tools/types.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';

const tools = JSON.parse(fs.readFileSync('public/tools/enterprise_tools.json', 'utf8')) as ToolDefinition[];

describe.each(testAdapters().slice(0, 1))('tiny model on %s', (adapter) => {
  it('loads, tokenizes the sample data with assistant masks, runs forward and generation', async () => {
    const e = new Engine(await gpuFor(adapter));
    const progress: number[] = [];
    const { tokenizer, model, folder } = await loadModel(e, folderProvider('public/models/tiny'), { storage: 'f32', trainable: false }, (d) => progress.push(d));
    expect(progress.at(-1)).toBe(folder.totalBytes);
    expect(folder.config.vocabSize).toBe(tokenizer.vocabSize);
    const { examples } = readDatasetText(fs.readFileSync('public/data/chains_data.jsonl', 'utf8'), { tools });
    const ex = examples.find((x) => x.kind === 'conversational' || x.kind === 'sft')!;
    const conv = ex.kind === 'sft' || ex.kind === 'conversational' ? ex.conversation : null;
    const tk = tokenizeConversation(tokenizer, { ...conv!, tools: conv!.tools ?? tools });
    expect(tk.ids.length).toBeLessThan(1024);
    const masked = tokenizer.decode(Array.from(tk.ids).filter((_, i) => tk.lossMask[i]));
    expect(masked).toContain('<tool_call>');
    expect(masked).not.toContain('<|im_start|>');
    const prompt = tokenizePrompt(tokenizer, { ...conv!, tools: conv!.tools ?? tools, turns: conv!.turns.slice(0, 1) });
    const res = await generate(model, [prompt], { ...GREEDY, maxNewTokens: 4, stopTokens: tokenizer.stopIds });
    expect(res.tokens[0].length).toBeGreaterThan(0);
    expect(res.tokens[0].every((t) => t >= 0 && t < tokenizer.vocabSize)).toBe(true);
  });
});
