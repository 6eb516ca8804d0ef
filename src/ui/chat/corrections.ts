// The chat's data flywheel: a corrected conversation becomes a conversational SFT example, a corrected turn and the
// model's original one become a reward-model preference pair. Both are written as TRL JSONL and read back through the
// dataset validator (the same checks as a dropped file) before they are saved as a dataset in IndexedDB, so the
// Datasets and Train pages see them like any other.
import type { AssistantTurn, Conversation, DatasetExample, Turn } from '../../data/conversation.ts';
import { readDatasetText } from '../../data/read-dataset.ts';
import { toTrlJsonl } from '../../data/trl-export.ts';
import { DatasetStore, examplesHash, type DatasetRecord } from '../../store/datasets.ts';
import type { ToolDefinition } from '../../tools/types.ts';

/** A conversation (ending with the corrected turn) as a conversational SFT example. */
export function sftExample(conversation: Conversation): DatasetExample {
  if (!conversation.turns.some((t) => t.role === 'assistant')) throw new Error('the conversation has no assistant turn to learn');
  return { kind: 'conversational', line: 1, conversation };
}

/** The prompt up to a turn, the corrected turn preferred over the model's own. */
export function preferencePair(prompt: Conversation, chosen: AssistantTurn, rejected: AssistantTurn): DatasetExample {
  return { kind: 'rm', line: 1, prompt, chosen: [chosen] as Turn[], rejected: [rejected] as Turn[] };
}

/** Validates the examples as a file would be, then saves them as one dataset; returns the stored record. */
export async function saveExamples(examples: DatasetExample[], name: string, tools: ToolDefinition[], store = new DatasetStore()): Promise<DatasetRecord> {
  const text = toTrlJsonl(examples);
  const read = readDatasetText(text, { tools });
  if (read.examples.length !== examples.length || !read.report.kind) {
    const why = read.report.problems.slice(0, 3).map((p) => `${p.field ? `${p.field}: ` : ''}${p.message}`).join('; ');
    throw new Error(`the corrected example does not pass the dataset checks: ${why || 'unreadable'}`);
  }
  const fileName = `${name.replace(/[^\w.-]+/g, '_')}.jsonl`;
  return store.save({
    name, kind: read.report.kind, fileName, fileBytes: new TextEncoder().encode(text).length,
    contentHash: await examplesHash(read.examples), report: read.report, examples: read.examples,
  });
}
