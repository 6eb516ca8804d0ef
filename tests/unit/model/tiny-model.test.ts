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
import { mapProvider, memorySource } from '../../../src/model/byte-source.ts';
import { expectedParams } from '../../../src/model/config.ts';
import { QwenModel } from '../../../src/model/qwen.ts';
import { readAllSafetensors, toFloat32 } from '../../../src/model/safetensors.ts';
import { openModelFolder } from '../../../src/model/weights.ts';
import { modelFiles, tinyConfig } from './fixtures.ts';

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

describe.each(testAdapters().slice(0, 1))('checkpoint dtypes on %s', (adapter) => {
  it('a BF16 checkpoint streams to the GPU and computes what its decoded f32 weights compute', async () => {
    const e = new Engine(await gpuFor(adapter));
    const cfg = tinyConfig('qwen2');
    const files = modelFiles(cfg, 77, 'BF16');
    const folder = await openModelFolder(mapProvider(files));
    expect(folder.files[0].tensors.every((t) => t.dtype === 'BF16')).toBe(true);
    const fromFile = await QwenModel.load(e, folder, { storage: 'f32', trainable: false });
    const { tensors } = await readAllSafetensors(memorySource('m', files.get('model.safetensors')!));
    const shapes = new Map(expectedParams(cfg).map((p) => [p.name, p.shape]));
    const direct = QwenModel.fromArrays(e, cfg, new Map(tensors.map((t) => [t.name, toFloat32(t)])), { storage: 'f32', trainable: false }, shapes);
    const batch = { ids: Int32Array.from([1, 5, 9, 30, 2, 0]), mask: Uint8Array.from([1, 1, 1, 1, 1, 0]), B: 2, T: 3 };
    const a = await e.scope(() => fromFile.forward(batch).logits).read();
    const b = await e.scope(() => direct.forward(batch).logits).read();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a.some((x) => x !== 0)).toBe(true);
  });
});
