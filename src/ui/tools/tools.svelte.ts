// State of the Tools page: the loaded tool sets (sample, JSON definitions, OpenAPI imports), the
// selected tool, and a "try a call" box that validates arguments and runs the mock executors.

import { loadToolSet, type LoadedToolSet } from '../../tools/tool-set.ts';
import { ArgumentValidator } from '../../tools/validate-args.ts';
import { enterpriseEnvironment, ENTERPRISE_EXECUTOR_NAMES } from '../../tools/enterprise/executors.ts';
import type { ToolWorld, ToolResult } from '../../tools/environment.ts';
import type { ToolDefinition } from '../../tools/types.ts';

export interface ToolSetEntry extends LoadedToolSet {
  id: number;
  file: string;
}

export type TryOutcome =
  | { kind: 'invalid'; messages: string[] }
  | { kind: 'result'; result: ToolResult }
  | { kind: 'validated' }
  | { kind: 'json-error'; message: string };

let nextId = 1;

export class ToolsState {
  // Raw: tool sets are replaced, never edited in place, and schemas must stay plain objects for ajv.
  sets = $state.raw<ToolSetEntry[]>([]);
  selectedSetId = $state<number | null>(null);
  selectedTool = $state<string | null>(null);
  loadError = $state<string | null>(null);
  tryArgs = $state('{}');
  tryOutcome = $state<TryOutcome | null>(null);
  /** One mock world per page visit, so tried calls change its state like a real session would. */
  private world: ToolWorld | null = null;

  get selectedSet(): ToolSetEntry | undefined {
    return this.sets.find((s) => s.id === this.selectedSetId);
  }

  get tool(): ToolDefinition | undefined {
    return this.selectedSet?.tools.find((t) => t.function.name === this.selectedTool);
  }

  /** Whether the selected tool runs on the built-in mock executors (the enterprise sample set). */
  get executable(): boolean {
    return this.selectedSet?.file === 'enterprise_tools.json' && this.selectedTool !== null && ENTERPRISE_EXECUTOR_NAMES.has(this.selectedTool);
  }

  addText(text: string, file: string): void {
    this.loadError = null;
    try {
      const loaded = loadToolSet(text, file);
      if (loaded.tools.length === 0 && loaded.errors.length === 0) throw new Error(`${file}: no tools in it`);
      const entry: ToolSetEntry = { ...loaded, id: nextId++, file };
      this.sets = [...this.sets.filter((s) => s.file !== file), entry];
      this.select(entry.id, entry.tools[0]?.function.name ?? null);
    } catch (e) {
      this.loadError = (e as Error).message;
    }
  }

  /** Adds a tool set drafted (and edited) elsewhere, e.g. from a dataset's calls on the Datasets page. */
  addDrafted(title: string, tools: ToolDefinition[]): ToolSetEntry {
    const file = `${title}.tools.json`;
    const entry: ToolSetEntry = { source: 'definitions', title, tools, errors: [], warnings: [], id: nextId++, file };
    this.sets = [...this.sets.filter((s) => s.file !== file), entry];
    this.select(entry.id, tools[0]?.function.name ?? null);
    return entry;
  }

  async addFiles(files: File[]): Promise<void> {
    for (const f of files) this.addText(await f.text(), f.name);
  }

  async loadSample(): Promise<void> {
    const res = await fetch(`${import.meta.env.BASE_URL}tools/enterprise_tools.json`);
    if (!res.ok) {
      this.loadError = `could not fetch the sample tool set (HTTP ${res.status})`;
      return;
    }
    this.addText(await res.text(), 'enterprise_tools.json');
  }

  remove(id: number): void {
    this.sets = this.sets.filter((s) => s.id !== id);
    if (this.selectedSetId === id) this.select(this.sets[0]?.id ?? null, this.sets[0]?.tools[0]?.function.name ?? null);
  }

  select(setId: number | null, tool: string | null): void {
    this.selectedSetId = setId;
    this.selectedTool = tool;
    this.tryOutcome = null;
    this.tryArgs = tool ? exampleArgs(this.tool) : '{}';
  }

  /** Validates the typed arguments against the schema; runs them when the tool has an executor. */
  tryCall(): void {
    const tool = this.tool;
    if (!tool) return;
    let args: unknown;
    try {
      args = JSON.parse(this.tryArgs);
    } catch (e) {
      this.tryOutcome = { kind: 'json-error', message: (e as Error).message };
      return;
    }
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      this.tryOutcome = { kind: 'json-error', message: 'arguments must be a JSON object' };
      return;
    }
    const call = { name: tool.function.name, arguments: args as Record<string, unknown> };
    const check = new ArgumentValidator(this.selectedSet!.tools).check(call);
    if (!check.valid) {
      this.tryOutcome = { kind: 'invalid', messages: check.errors.map((e) => e.message) };
      return;
    }
    if (!this.executable) {
      this.tryOutcome = { kind: 'validated' };
      return;
    }
    this.world ??= enterpriseEnvironment().create();
    this.tryOutcome = { kind: 'result', result: this.world.execute(call) };
  }

  resetWorld(): void {
    this.world = null;
    this.tryOutcome = null;
  }
}

/** A starting point for the arguments box: required parameters with placeholder values of the right type. */
function exampleArgs(tool: ToolDefinition | undefined): string {
  const params = tool?.function.parameters as { properties?: Record<string, { type?: unknown; enum?: unknown[]; format?: string }>; required?: string[] } | undefined;
  const out: Record<string, unknown> = {};
  for (const name of params?.required ?? []) {
    const p = params?.properties?.[name] ?? {};
    out[name] = p.enum?.[0] ?? (p.format === 'date' ? '2025-06-10' : p.type === 'integer' || p.type === 'number' ? 1 : p.type === 'boolean' ? true : p.type === 'array' ? [] : p.type === 'object' ? {} : '');
  }
  return JSON.stringify(out, null, 2);
}

/** One state for the studio: loaded tool sets stay while the user visits other sections (the Datasets page checks against them). */
export const toolsState = new ToolsState();
