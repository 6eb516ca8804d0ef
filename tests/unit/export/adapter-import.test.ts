// The import direction: a LoRA adapter trained elsewhere (written by write_peft_adapter.py the way PEFT saves one:
// PEFT's config fields, PEFT's key names, bf16 B factors, packed by hand, nothing of ours) loads onto its base model
// with every value as stored; the model chat and evaluation load (loadInferenceModel), the RL start policy further
// training merges (loadPolicy) and the adapter attached unmerged (the engine's LoRA path) give the same logits, which
// differ from the base's; `npm run eval -- --model DIR --base` evaluates with it; and a mismatch (rank, target
// module, another base model's shapes, another base's name) is an error naming which, from the library and the CLI.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../src/engine/index.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import { AdapterMismatchError, loadAdapterFor } from '../../../src/model/peft.ts';
import type { QwenModel } from '../../../src/model/qwen.ts';
import { readFolderWeights } from '../../../src/export/onnx/onnx-folder.ts';
import { loadInferenceModel } from '../../../src/train/load-eval-model.ts';
import { loadTrainableModel } from '../../../src/train/load-model.ts';
import { loadPolicy } from '../../../src/train/load-policy.ts';
import { Rng } from '../../../src/util/rng.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';
import { maxDiff } from '../../helpers/model-logits.ts';

const TINY = 'public/models/tiny';
const dir = mkdtempSync(join(tmpdir(), 'adapter-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Stored = Record<string, [number[], number[]]>;
/** A PEFT-written adapter for a model of these dims; returns its folder and the values as stored (bf16 rounded). */
function writePeft(name: string, o: { layers?: number; hidden?: number; kv?: number; inter?: number; r?: number; alpha?: number; targets?: string; base?: string } = {}): { folder: string; stored: Stored } {
  const folder = join(dir, name);
  const args = [o.layers ?? 2, o.hidden ?? 64, o.kv ?? 32, o.inter ?? 128, o.r ?? 4, o.alpha ?? 8, o.targets ?? 'q_proj,v_proj,down_proj', 7, o.base ?? 'Qwen/Qwen3-tiny-elsewhere'].map(String);
  const out = execFileSync('python3', ['tests/unit/export/write_peft_adapter.py', folder, ...args], { encoding: 'utf8' });
  return { folder, stored: JSON.parse(out) as Stored };
}

async function logits(m: QwenModel): Promise<Float32Array> {
  const ids = Int32Array.from([5, 17, 250, 3, 999, 42, 7]);
  const out = m.e.scope(() => m.e.keep(m.forward({ ids, mask: new Uint8Array(ids.length).fill(1), B: 1, T: ids.length }).logits));
  const v = await out.read();
  out.release();
  return v;
}
describe('a PEFT adapter trained elsewhere', () => {
  const peft = writePeft('peft');

  it('loads onto its base with every value as stored (F32 A, BF16 B), its rank, alpha and targets', async () => {
    const { config } = await readFolderWeights(folderProvider(TINY));
    const a = await loadAdapterFor(folderProvider(peft.folder), config, { baseModel: 'Qwen/Qwen3-tiny-elsewhere' });
    expect(a.lora).toMatchObject({ r: 4, alpha: 8 });
    expect([...a.lora.targets].sort()).toEqual(['down_proj', 'q_proj', 'v_proj']);
    expect(a.tensors.size).toBe(Object.keys(peft.stored).length);
    for (const [key, [shape, values]] of Object.entries(peft.stored)) {
      const t = a.tensors.get(key);
      expect(t, key).toBeDefined();
      expect(t!.shape).toEqual(shape);
      expect(Array.from(t!.values)).toEqual(values);
    }
  });

  it('names each mismatch: rank, target module, another model\'s shapes and layers, another base', async () => {
    const { config } = await readFolderWeights(folderProvider(TINY));
    const load = (folder: string, baseModel: string | null = null) => loadAdapterFor(folderProvider(folder), config, { baseModel });
    const expectMismatch = async (p: Promise<unknown>, field: string, text: RegExp) => {
      const err = await p.then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(AdapterMismatchError);
      expect((err as AdapterMismatchError).mismatch).toBe(field);
      expect((err as Error).message).toMatch(text);
    };
    const wrongRank = join(dir, 'wrong-rank');
    mkdirSync(wrongRank);
    copyFileSync(join(peft.folder, 'adapter_model.safetensors'), join(wrongRank, 'adapter_model.safetensors'));
    writeFileSync(join(wrongRank, 'adapter_config.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(peft.folder, 'adapter_config.json'), 'utf8')), r: 8 }));
    await expectMismatch(load(wrongRank), 'rank', /has rank 4 .*adapter_config\.json says r=8/);
    const unlisted = join(dir, 'unlisted');
    mkdirSync(unlisted);
    copyFileSync(join(peft.folder, 'adapter_model.safetensors'), join(unlisted, 'adapter_model.safetensors'));
    writeFileSync(join(unlisted, 'adapter_config.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(peft.folder, 'adapter_config.json'), 'utf8')), target_modules: ['q_proj', 'v_proj'] }));
    await expectMismatch(load(unlisted), 'target_modules', /adapts down_proj, but adapter_config\.json lists target_modules \["q_proj","v_proj"\]/);
    await expectMismatch(load(writePeft('wider', { hidden: 96 }).folder), 'shape', /expected .*: the adapter was trained on another model/);
    await expectMismatch(load(writePeft('deeper', { layers: 3 }).folder), 'layers', /is for layer 2, but the base model has 2 layers/);
    await expectMismatch(load(peft.folder, 'Qwen/Qwen2.5-0.5B-Instruct'), 'base_model', /Qwen3-tiny-elsewhere/);
  });

  it('`npm run eval -- --model DIR --base` evaluates with it; a wrong rank is refused by name', () => {
    const data = join(dir, 'eval.jsonl');
    writeFileSync(data, readFileSync('public/data/eval_data.jsonl', 'utf8').split('\n').filter(Boolean).slice(0, 2).join('\n') + '\n');
    const report = join(dir, 'report.json');
    const cli = (model: string, extra: string[] = []) => execFileSync('npx', ['tsx', '--import', './scripts/raw-loader.mjs', 'src/cli/eval.ts', '--model', model, '--base', TINY, '--data', data, '--max-new-tokens', '8', ...extra], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const out = cli(peft.folder, ['--report', report]);
    expect(out).toContain('tool-level accuracy:');
    expect(JSON.parse(readFileSync(report, 'utf8')).evaluations[0].report.counts.records).toBe(2);
    let err = '';
    try {
      cli(join(dir, 'wrong-rank'));
    } catch (e) {
      err = String((e as { stderr?: string }).stderr);
    }
    expect(err).toMatch(/has rank 4 .*adapter_config\.json says r=8/);
  }, 300_000);
});

describe.each(testAdapters())('the imported adapter on the GPU (%s)', (choice) => {
  it('chat/eval (merged), the RL start policy (merged) and the adapter attached unmerged give the same logits, not the base\'s', async () => {
    const e = new Engine(await gpuFor(choice));
    const files = folderProvider(TINY);
    const peft = writePeft(`gpu-${choice}`);
    const { config } = await readFolderWeights(files);
    const adapter = await loadAdapterFor(folderProvider(peft.folder), config, { baseModel: null });
    const base = await loadInferenceModel(e, files, [], { chatTemplate: 'model' });
    const chat = await loadInferenceModel(e, files, [folderProvider(peft.folder)], { chatTemplate: 'model' });
    const policy = await loadPolicy(e, files, { finetune: 'lora', lora: { r: 2, alpha: 4, dropout: 0, target_modules: ['q_proj'] }, chatTemplate: 'model', seed: 1, startAdapters: [adapter] });
    const attached = await loadTrainableModel(e, files, { finetune: 'lora', lora: { r: 4, alpha: 8, dropout: 0, target_modules: [...adapter.lora.targets] }, chatTemplate: 'model', seed: 0, deferLora: true });
    attached.model.addLora(adapter.lora, new Rng(0), adapter);
    const [c, p, a, b] = [await logits(chat.model), await logits(policy.model), await logits(attached.model), await logits(base.model)];
    expect(maxDiff(c, a)).toBeLessThan(1e-4);
    expect(maxDiff(p, a)).toBeLessThan(1e-4); // the fresh RL adapter starts at B = 0
    expect(maxDiff(a, b)).toBeGreaterThan(1e-3);
  });
});
