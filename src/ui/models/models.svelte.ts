// State of the Models section: where a model comes from (built-in tiny, hub id, dropped folder), download
// progress, and the validated summary of the chosen model (config, weights, tokenizer and a rendered prompt).
// Everything here is DOM-free model code (no GPU): the worker loads the weights onto the GPU.

import { mapProvider, type FileProvider } from '../../model/byte-source.ts';
import { paramCount } from '../../model/config.ts';
import { idbHubCache, type CachedFileMeta, type HubCache } from '../../model/hub-cache.ts';
import { DEFAULT_HUB, downloadModel, type DownloadProgress, type HubSettings } from '../../model/hub.ts';
import { urlFolderProvider } from '../../model/load.ts';
import { openModelFolder } from '../../model/weights.ts';
import { tokenizeConversation } from '../../tokenizer/loss-mask.ts';
import { ChatTokenizer } from '../../tokenizer/tokenizer.ts';
import type { ChatMessage } from '../../tokenizer/chat-messages.ts';
import type { ToolDefinition } from '../../tools/types.ts';
import { DEFAULT_HUB_ORIGIN, HUB_COOKIE, hubOrigin } from '../../util/csp.ts';

export type ModelSource = 'tiny' | 'hub' | 'folder';

export interface ModelSummary {
  source: ModelSource;
  /** Hub id, folder name, or "built-in tiny". */
  name: string;
  arch: string;
  layers: number;
  hidden: number;
  intermediate: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
  tied: boolean;
  params: number;
  weightBytes: number;
  dtypes: string[];
  files: string[];
  tokenizerVocab: number;
  /** A short tool conversation rendered with the model's own chat template. */
  samplePrompt: string;
  /** The same text split where the loss mask changes: trained (assistant) and context runs. */
  sampleSegments: { text: string; trained: boolean }[];
  sampleTokens: number;
  sampleMasked: number;
}

const SETTINGS_KEY = 'studio.hub.settings';
/** A hub download asked for just before the reload that brings the new endpoint into the page's policy. */
const PENDING_DOWNLOAD_KEY = 'studio.hub.pending-download';

/** The hub origin this page's Content-Security-Policy was served for: the cookie the page was loaded with. */
const policyHubOrigin = readHubCookie() ?? DEFAULT_HUB_ORIGIN;

function readHubCookie(): string | null {
  if (typeof document === 'undefined') return null;
  const entry = document.cookie.split(';').map((c) => c.trim()).find((c) => c.startsWith(`${HUB_COOKIE}=`));
  return entry ? hubOrigin(decodeURIComponent(entry.slice(HUB_COOKIE.length + 1))) : null;
}

const SAMPLE_TOOLS: ToolDefinition[] = [
  { type: 'function', function: { name: 'queryWeather', description: 'Weather forecast for a city', parameters: { type: 'object', properties: { city: { type: 'string' }, date: { type: 'string' } }, required: ['city'] } } },
];
const SAMPLE: ChatMessage[] = [
  { role: 'user', content: 'Will it rain in Beijing tomorrow?' },
  { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'queryWeather', arguments: { city: 'Beijing', date: '2025-06-03' } } }] },
  { role: 'tool', content: '{"rain": false}' },
  { role: 'assistant', content: 'No rain is expected in Beijing tomorrow.' },
];

export class ModelsState {
  hubId = $state('Qwen/Qwen2.5-0.5B-Instruct');
  settings = $state<HubSettings>(loadSettings());
  busy = $state(false);
  status = $state('');
  error = $state<string | null>(null);
  progress = $state<DownloadProgress | null>(null);
  progressStarted = $state<number | undefined>(undefined);
  summary = $state<ModelSummary | null>(null);
  cached = $state<CachedFileMeta[]>([]);
  /** Files of the chosen model, for whoever loads it onto the GPU (the engine worker). */
  files: FileProvider | null = null;
  private cache: HubCache | null = null;

  private hubCache(): HubCache {
    this.cache ??= idbHubCache();
    return this.cache;
  }

  /** Saves the settings, and the endpoint's origin in the cookie the server builds the page's policy from. */
  saveSettings(): void {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(this.settings));
    const origin = hubOrigin(this.settings.endpoint);
    if (origin) document.cookie = `${HUB_COOKIE}=${encodeURIComponent(origin)}; path=/; max-age=31536000; SameSite=Strict`;
  }

  /** Continues a download asked for before the reload that a new endpoint needs (see loadHub). */
  resumePendingDownload(): void {
    const id = sessionStorage.getItem(PENDING_DOWNLOAD_KEY);
    if (!id) return;
    sessionStorage.removeItem(PENDING_DOWNLOAD_KEY);
    this.hubId = id;
    void this.loadHub();
  }

  async refreshCache(): Promise<void> {
    try {
      this.cached = await this.hubCache().listComplete();
    } catch {
      this.cached = [];
    }
  }

  async loadTiny(): Promise<void> {
    await this.run('Loading the built-in tiny model', async () => {
      const files = urlFolderProvider(`${import.meta.env.BASE_URL}models/tiny`);
      await this.inspect('tiny', 'built-in tiny', files, ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'vocab-map.json']);
    });
  }

  async loadHub(): Promise<void> {
    const id = this.hubId.trim();
    const origin = hubOrigin(this.settings.endpoint);
    if (!origin) {
      this.error = `The hub endpoint "${this.settings.endpoint}" is not an http(s) URL (e.g. ${DEFAULT_HUB.endpoint}).`;
      return;
    }
    this.saveSettings();
    if (origin !== policyHubOrigin) {
      // The page may connect only to the hub its policy was served for, and a policy can only be narrowed:
      // the reload brings one that allows the new endpoint, and the download continues there.
      sessionStorage.setItem(PENDING_DOWNLOAD_KEY, id);
      this.status = `Reloading so that the page may connect to ${origin}…`;
      location.reload();
      return;
    }
    await this.run(`Downloading ${id}`, async () => {
      this.progressStarted = performance.now();
      const { files, names } = await downloadModel(id, {
        settings: $state.snapshot(this.settings),
        cache: this.hubCache(),
        onProgress: (p) => (this.progress = p),
      });
      await this.inspect('hub', id, files, names);
      await this.refreshCache();
    });
  }

  /** Files from a drop or a folder picker: matched by base name (a model folder is flat). */
  async loadFiles(list: File[]): Promise<void> {
    await this.run('Reading the dropped files', async () => {
      const map = new Map<string, Blob>();
      for (const f of list) map.set(f.name, f);
      const folder = (list[0] as File & { webkitRelativePath?: string })?.webkitRelativePath?.split('/')[0] || 'dropped files';
      await this.inspect('folder', folder, mapProvider(map), [...map.keys()]);
    });
  }

  async forget(url: string): Promise<void> {
    await this.hubCache().remove(url);
    await this.refreshCache();
  }

  private async run(label: string, fn: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.error = null;
    this.status = label;
    this.progress = null;
    try {
      await fn();
      this.status = '';
    } catch (e) {
      this.error = (e as Error).message;
      this.status = '';
    } finally {
      this.busy = false;
    }
  }

  /** Validates config, headers and tokenizer (no weight data is read) and renders a sample prompt. */
  private async inspect(source: ModelSource, name: string, files: FileProvider, names: string[]): Promise<void> {
    const folder = await openModelFolder(files);
    const tok = await ChatTokenizer.fromFiles(files);
    const c = folder.config;
    const t = tokenizeConversation(tok, { messages: SAMPLE, tools: SAMPLE_TOOLS });
    this.files = files;
    this.summary = {
      source,
      name,
      arch: c.arch === 'qwen2' ? 'Qwen2ForCausalLM' : 'Qwen3ForCausalLM',
      layers: c.numLayers,
      hidden: c.hiddenSize,
      intermediate: c.intermediateSize,
      heads: c.numHeads,
      kvHeads: c.numKvHeads,
      headDim: c.headDim,
      vocab: c.vocabSize,
      tied: c.tieWordEmbeddings,
      params: paramCount(c),
      weightBytes: folder.totalBytes,
      dtypes: [...new Set(folder.files.flatMap((f) => f.tensors.map((x) => x.dtype)))],
      files: names,
      tokenizerVocab: tok.vocabSize,
      samplePrompt: t.text,
      sampleSegments: maskSegments(tok, t.ids, t.lossMask),
      sampleTokens: t.ids.length,
      sampleMasked: t.lossMask.reduce((a, b) => a + b, 0),
    };
  }
}

/** Decodes runs of equal mask value, so the page can show which tokens the loss covers. */
function maskSegments(tok: ChatTokenizer, ids: Int32Array, mask: Uint8Array): { text: string; trained: boolean }[] {
  const out: { text: string; trained: boolean }[] = [];
  let start = 0;
  for (let i = 1; i <= ids.length; i++) {
    if (i === ids.length || mask[i] !== mask[start]) {
      out.push({ text: tok.decode(ids.subarray(start, i)), trained: mask[start] === 1 });
      start = i;
    }
  }
  return out;
}

/** Hub endpoint and revision as the Models page saved them (the training worker downloads with these). */
export function loadSettings(): HubSettings {
  try {
    const raw = localStorage.getItem(SETTINGS_KEY);
    if (raw) {
      const s = JSON.parse(raw) as Partial<HubSettings>;
      if (typeof s.endpoint === 'string' && typeof s.revision === 'string') return { endpoint: s.endpoint, revision: s.revision };
    }
  } catch {
    // Unreadable settings fall back to the defaults.
  }
  return { ...DEFAULT_HUB };
}
