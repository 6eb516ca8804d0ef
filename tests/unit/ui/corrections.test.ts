// The chat's data flywheel: a corrected conversation saved as a conversational SFT dataset and a corrected turn with
// the model's original as a preference pair, both read back from IndexedDB as the examples they were; an example
// that breaks its tool schema is refused with the reason, and nothing is saved.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { AssistantTurn, Conversation } from '../../../src/data/conversation.ts';
import { DatasetStore } from '../../../src/store/datasets.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';
import { preferencePair, saveExamples, sftExample } from '../../../src/ui/chat/corrections.ts';

const tools = [...ENTERPRISE_TOOLS];
const prompt: Conversation = { system: 'Current date: 2025-06-02 (Monday).', turns: [{ role: 'user', content: 'check order ORD-250029 for me' }] };
const right: AssistantTurn = { role: 'assistant', calls: [{ name: 'queryOrderStatus', arguments: { orderId: 'ORD-250029' } }] };
const wrong: AssistantTurn = { role: 'assistant', calls: [{ name: 'cancelOrder', arguments: { orderId: 'ORD-250029' } }] };

describe('saving corrections', () => {
  it('a corrected conversation becomes a conversational dataset with the same turns', async () => {
    const store = new DatasetStore(`test-corrections-${Date.now()}`);
    const conv: Conversation = { ...prompt, turns: [...prompt.turns, right, { role: 'tool', results: [{ name: 'queryOrderStatus', content: '{"status":"shipped"}' }] }, { role: 'assistant', calls: [], content: 'It has shipped.' }] };
    const rec = await saveExamples([sftExample(conv)], 'chat conversation: check order', tools, store);
    expect(rec.kind).toBe('conversational');
    expect(rec.counts).toEqual({ records: 1, valid: 1, invalid: 0 });
    const [ex] = await store.examples(rec.id);
    expect(ex.kind === 'conversational' && ex.conversation.turns).toEqual(conv.turns);
  });

  it('a corrected turn and the original become a preference pair (chosen = the correction)', async () => {
    const store = new DatasetStore(`test-pairs-${Date.now()}`);
    const rec = await saveExamples([preferencePair(prompt, right, wrong)], 'chat preference: check order', tools, store);
    expect(rec.kind).toBe('rm');
    const [ex] = await store.examples(rec.id);
    if (ex.kind !== 'rm') throw new Error('expected an rm example');
    expect(ex.chosen).toEqual([right]);
    expect(ex.rejected).toEqual([wrong]);
    expect(ex.prompt.turns).toEqual(prompt.turns);
  });

  it('an example that breaks the schema is refused, nothing is stored', async () => {
    const store = new DatasetStore(`test-bad-${Date.now()}`);
    const bad: AssistantTurn = { role: 'assistant', calls: [{ name: 'queryOrderStatus', arguments: {} }] };
    await expect(saveExamples([sftExample({ ...prompt, turns: [...prompt.turns, bad] })], 'bad', tools, store)).rejects.toThrow(/does not pass the dataset checks: .*orderId/);
    expect(await store.list()).toEqual([]);
    expect(() => sftExample(prompt)).toThrow(/no assistant turn/);
  });
});
