// State of the Tools page (runes class, one for the studio): the tool sets (sample, JSON definitions, OpenAPI
// imports) kept in IndexedDB with where their calls run (mock world, sandboxed JavaScript, HTTP endpoint, manual),
// the selected tool, and a "try a call" box that validates arguments and runs them on the set's executor.

import { loadToolSet } from '../../tools/tool-set.ts';
import { ArgumentValidator } from '../../tools/validate-args.ts';
import { enterpriseEnvironment, ENTERPRISE_EXECUTOR_NAMES } from '../../tools/enterprise/executors.ts';
import type { ToolWorld, ToolResult } from '../../tools/environment.ts';
import { defaultExecutor, type ExecutorConfig } from '../../tools/executor-choice.ts';
import { checkHttpConfig } from '../../tools/http-executor.ts';
import type { ToolDefinition } from '../../tools/types.ts';
import { ToolSetStore, type StoredToolSet } from '../../store/tool-sets.ts';
import { checkHandlerCode } from '../../worker/tool-sandbox.ts';
import { PageExecutor } from '../../worker/page-executor.ts';

export type ToolSetEntry = StoredToolSet;

export type TryOutcome =
  | { kind: 'invalid'; messages: string[] }
  | { kind: 'result'; result: ToolResult }
  | { kind: 'validated' }
  | { kind: 'json-error'; message: string };

export const SAMPLE_FILE = 'enterprise_tools.json';

export class ToolsState {
  // Raw: tool sets are replaced, never edited in place, and schemas must stay plain objects for ajv.
  sets = $state.raw<ToolSetEntry[]>([]);
  selectedSetId = $state<string | null>(null);
  selectedTool = $state<string | null>(null);
  loadError = $state<string | null>(null);
  tryArgs = $state('{}');
  tryOutcome = $state<TryOutcome | null>(null);
  executorError = $state<string | null>(null);
  loaded = $state(false);
  /** One mock world per page visit, so tried calls change its state like a real session would. */
  private world: ToolWorld | null = null;
  private executor: PageExecutor | null = null;
  private readonly store = new ToolSetStore();

  get selectedSet(): ToolSetEntry | undefined {
    return this.sets.find((s) => s.id === this.selectedSetId);
  }

  get tool(): ToolDefinition | undefined {
    return this.selectedSet?.tools.find((t) => t.function.name === this.selectedTool);
  }

  /** Whether the selected tool runs on the built-in mock executors (the enterprise sample set). */
  get executable(): boolean {
    const set = this.selectedSet;
    if (!set || this.selectedTool === null) return false;
    if (set.executor.kind === 'mock') return set.file === SAMPLE_FILE && ENTERPRISE_EXECUTOR_NAMES.has(this.selectedTool);
    return set.executor.kind === 'javascript' || set.executor.kind === 'http';
  }

  /** Reads the stored sets (once per page load). */
  async init(): Promise<void> {
    if (this.loaded) return;
    try {
      this.sets = await this.store.list();
    } catch (e) {
      this.loadError = `the stored tool sets could not be read: ${(e as Error).message}`;
    }
    this.loaded = true;
    if (this.selectedSetId === null && this.sets.length) this.select(this.sets[0].id, this.sets[0].tools[0]?.function.name ?? null);
  }

  async addText(text: string, file: string): Promise<void> {
    this.loadError = null;
    try {
      const loaded = loadToolSet(text, file);
      if (loaded.tools.length === 0 && loaded.errors.length === 0) throw new Error(`${file}: no tools in it`);
      const previous = this.sets.find((s) => s.file === file);
      const entry: ToolSetEntry = {
        ...loaded, id: previous?.id ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`, file,
        executor: previous?.executor ?? defaultExecutor(file, loaded.tools), createdAt: previous?.createdAt ?? Date.now(),
      };
      await this.store.put(entry);
      this.sets = [...this.sets.filter((s) => s.file !== file), entry];
      this.select(entry.id, entry.tools[0]?.function.name ?? null);
    } catch (e) {
      this.loadError = (e as Error).message;
    }
  }

  /** Adds (and stores) a tool set drafted and edited elsewhere, e.g. from a dataset's calls on the Datasets page. */
  async addDrafted(title: string, tools: ToolDefinition[]): Promise<ToolSetEntry> {
    const file = `${title}.tools.json`;
    const previous = this.sets.find((s) => s.file === file);
    const entry: ToolSetEntry = {
      source: 'definitions', title, tools, errors: [], warnings: [], file,
      id: previous?.id ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`,
      executor: previous?.executor ?? defaultExecutor(file, tools), createdAt: previous?.createdAt ?? Date.now(),
    };
    await this.store.put(entry);
    this.sets = [...this.sets.filter((s) => s.file !== file), entry];
    this.select(entry.id, tools[0]?.function.name ?? null);
    return entry;
  }

  async addFiles(files: File[]): Promise<void> {
    for (const f of files) await this.addText(await f.text(), f.name);
  }

  async loadSample(): Promise<void> {
    const res = await fetch(`${import.meta.env.BASE_URL}tools/enterprise_tools.json`);
    if (!res.ok) {
      this.loadError = `could not fetch the sample tool set (HTTP ${res.status})`;
      return;
    }
    await this.addText(await res.text(), SAMPLE_FILE);
  }

  async remove(id: string): Promise<void> {
    await this.store.remove(id);
    this.sets = this.sets.filter((s) => s.id !== id);
    if (this.selectedSetId === id) this.select(this.sets[0]?.id ?? null, this.sets[0]?.tools[0]?.function.name ?? null);
  }

  /** Changes where a set's calls run; bad handler code or a bad endpoint is refused with the reason. */
  async setExecutor(id: string, executor: ExecutorConfig): Promise<boolean> {
    this.executorError = null;
    const set = this.sets.find((s) => s.id === id);
    if (!set) return false;
    const problem = executor.kind === 'javascript' ? checkHandlerCode(executor.code)
      : executor.kind === 'http' ? checkHttpConfig({ url: executor.url, allowedOrigins: executor.allowedOrigins })
        : executor.kind === 'mock' && set.file !== SAMPLE_FILE ? 'the mock world runs the sample tools only' : null;
    if (problem) {
      this.executorError = problem;
      return false;
    }
    const updated = { ...set, executor };
    await this.store.put(updated);
    this.sets = this.sets.map((s) => (s.id === id ? updated : s));
    this.disposeExecutor();
    return true;
  }

  select(setId: string | null, tool: string | null): void {
    if (setId !== this.selectedSetId) this.disposeExecutor();
    this.selectedSetId = setId;
    this.selectedTool = tool;
    this.tryOutcome = null;
    this.executorError = null;
    this.tryArgs = tool ? exampleArgs(this.tool) : '{}';
  }

  /** Validates the typed arguments against the schema; runs them when the set has an executor here. */
  async tryCall(): Promise<void> {
    const tool = this.tool;
    const set = this.selectedSet;
    if (!tool || !set) return;
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
    const check = new ArgumentValidator(set.tools).check(call);
    if (!check.valid) {
      this.tryOutcome = { kind: 'invalid', messages: check.errors.map((e) => e.message) };
      return;
    }
    if (!this.executable) {
      this.tryOutcome = { kind: 'validated' };
      return;
    }
    if (set.executor.kind === 'mock') {
      this.world ??= enterpriseEnvironment().create();
      this.tryOutcome = { kind: 'result', result: this.world.execute(call) };
      return;
    }
    try {
      this.executor ??= new PageExecutor(set.executor, set.bindings);
      this.tryOutcome = { kind: 'result', result: await this.executor.execute(call) };
    } catch (e) {
      this.tryOutcome = { kind: 'result', result: { ok: false, error: { type: 'invalid_request', message: (e as Error).message } } };
    }
  }

  resetWorld(): void {
    this.world = null;
    this.disposeExecutor();
    this.tryOutcome = null;
  }

  private disposeExecutor(): void {
    this.executor?.dispose();
    this.executor = null;
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

/** The studio's tool sets: the Tools, Chat and Datasets pages share them (loaded sets stay while the user visits other sections). */
export const toolSets = new ToolsState();
