// The typed message protocol between the studio UI and the engine worker (the only way the UI reaches the GPU).
// Every request carries an id; the worker answers it with exactly one reply of the same id (a result or
// an error). Events (no id) report what happens on their own: device loss, progress, logs.
import type { GpuReport } from '../gpu/gpu-report.ts';
import type { SelfTestResult } from '../gpu/selftest.ts';
import type { EvalMetrics, RunStatus, StepMetrics } from '../train/metrics.ts';
import type { RmConfig } from '../train/rm-config.ts';
import type { SftConfig } from '../train/sft-config.ts';
import type { HubSettings } from '../model/hub.ts';
import type { Conversation, Turn } from '../data/conversation.ts';
import type { ToolDefinition } from '../tools/types.ts';
import type { ChatModelInfo, ChatReply, ChatReplyRequest } from './chat-session.ts';
import type { ModelChoice } from './model-source.ts';
import type { EpisodeTurn } from '../agent/episode.ts';
import type { ToolResult } from '../tools/environment.ts';
import type { ToolCall } from '../tools/types.ts';
import type { EvalRunRequest } from './eval-session.ts';
import type { EvalMode, ModelEvaluation } from '../eval/model-evaluation.ts';
// RL in the studio (GRPO, PPO): their configs and the completions-table rows of a rollout.
import type { GrpoConfig } from '../train/grpo-config.ts';
import type { PpoConfig } from '../train/ppo-config.ts';
import type { CompletionRow } from '../train/rollout.ts';
import type { ExportRunTarget } from './export-session.ts';
import type { ExportConfigRequest } from './export-config-session.ts';
import type { ImportRecord } from '../store/imports.ts';
import type { ImportRequest } from './model-import.ts';

/** The config of each training method the studio runs (the RL methods add one entry each). */
export interface TrainConfigs {
  sft: SftConfig;
  rm: RmConfig;
  grpo: GrpoConfig;
  ppo: PpoConfig;
}
export type TrainMethod = keyof TrainConfigs;
/** A method with its config, as a run starts with it. */
export type TrainMethodConfig = { [M in TrainMethod]: { method: M; config: TrainConfigs[M] } }[TrainMethod];

/** A reward model loaded for the reward inspector. */
export interface RewardModelInfo {
  /** What was loaded: run:<id> (a reward-model run's newest checkpoint) or import:<id> (an imported reward model). */
  model: string;
  label: string;
  /** The run's checkpoint step; null for an import. */
  step: number | null;
}

/** Where a training run takes its examples: datasets saved in the studio, or the sample files shipped with it. */
export type DataSource = { kind: 'stored'; ids: string[] } | { kind: 'sample'; files: string[] };

/** An error as it crosses the worker boundary: the name tells the UI which explanation to show. */
export interface WireError {
  name: string;
  message: string;
  /** Steps the user can take (e.g. how to enable WebGPU). */
  help?: string[];
}

// ---- UI -> worker ----------------------------------------------------------------------------------

export type EngineRequest =
  | { type: 'init'; id: number }
  | { type: 'selftest'; id: number; n: number; seed: number }
  /** Starts (or, with resume, continues from its newest checkpoint) a run of any method; progress comes as events. */
  | ({ type: 'train-start'; id: number; runId: string; name: string; train: DataSource; eval: DataSource | null; resume: boolean; hub: HubSettings } & TrainMethodConfig)
  | { type: 'train-control'; id: number; runId: string; action: 'pause' | 'stop' }
  /** The run's newest checkpoint as PEFT adapter files (a full reward model also gets its config.json, from the hub settings' model). */
  | { type: 'export-adapter'; id: number; runId: string; hub?: HubSettings }
  /** Loads the model of chat slot `slot` (two slots: side by side): built-in, hub, dropped files or a run's checkpoint. */
  | { type: 'chat-load'; id: number; slot: number; choice: ModelChoice; hub: HubSettings }
  /** Runs the model on the conversation until it answers (episode runner): chat-text, chat-tool-call and chat-turn events. */
  | ({ type: 'chat-reply'; id: number } & ChatReplyRequest)
  /** The page's result for a chat-tool-call (sandboxed handler, HTTP endpoint or typed by hand). */
  | { type: 'chat-tool-result'; id: number; callId: string; result: ToolResult }
  /** A fresh mock world for a new conversation. */
  | { type: 'chat-reset'; id: number; slot: number }
  | { type: 'chat-stop'; id: number; slot?: number }
  /** Evaluates models on a dataset (progress as eval-progress events); answered when every evaluation is done. */
  | ({ type: 'eval-run'; id: number } & EvalRunRequest)
  | { type: 'eval-cancel'; id: number; evalId: string }
  /** Loads a reward model for the reward inspector: run:<id> (its newest checkpoint) or import:<id>. */
  | { type: 'reward-load'; id: number; model: string; hub: HubSettings }
  /** Scores (prompt, response) items with the loaded reward model, rendered as its training rendered them. */
  | { type: 'reward-score'; id: number; items: Array<{ prompt: Conversation; response: Turn[] }> }
  /** A run (config, newest checkpoint) with the chosen datasets as a TRL / verl project or an ONNX folder, zipped. */
  | { type: 'export-run'; id: number; runId: string; target: ExportRunTarget; train: DataSource; eval: DataSource | null; hub: HubSettings }
  /** A config not trained here (YAML, validated by its method's table) with the chosen datasets as a TRL / verl project, zipped. */
  | ({ type: 'export-config'; id: number } & ExportConfigRequest)
  /** Checks a dropped model folder or PEFT adapter against its base and keeps it (IndexedDB) as import:<id>; nothing is stored when it does not fit. */
  | ({ type: 'import-model'; id: number; hub: HubSettings } & ImportRequest);

// ---- worker -> UI ----------------------------------------------------------------------------------

export type EngineReply =
  | { type: 'init-ok'; id: number; report: GpuReport }
  | { type: 'selftest-ok'; id: number; result: SelfTestResult }
  /** The run was accepted; it continues in the background. */
  | { type: 'train-start-ok'; id: number; runId: string }
  | { type: 'train-control-ok'; id: number }
  | { type: 'export-adapter-ok'; id: number; files: Record<string, Uint8Array>; step: number }
  | { type: 'chat-load-ok'; id: number; slot: number; info: ChatModelInfo }
  | ({ type: 'chat-reply-ok'; id: number } & ChatReply)
  | { type: 'chat-tool-result-ok'; id: number }
  | { type: 'chat-reset-ok'; id: number }
  | { type: 'chat-stop-ok'; id: number }
  | { type: 'reward-load-ok'; id: number; info: RewardModelInfo }
  | { type: 'reward-score-ok'; id: number; scores: number[] }
  | { type: 'eval-run-ok'; id: number; evaluations: ModelEvaluation[] }
  | { type: 'eval-cancel-ok'; id: number }
  | { type: 'export-run-ok'; id: number; name: string; zip: Uint8Array; paths: string[]; step: number }
  | { type: 'export-config-ok'; id: number; name: string; zip: Uint8Array; paths: string[] }
  | { type: 'import-model-ok'; id: number; record: ImportRecord }
  | { type: 'error'; id: number; error: WireError };

export type EngineEvent =
  | { type: 'device-lost'; error: WireError }
  | { type: 'gpu-error'; message: string }
  | { type: 'train-step'; runId: string; metrics: StepMetrics }
  | { type: 'train-eval'; runId: string; metrics: EvalMetrics }
  | { type: 'train-log'; runId: string; line: string }
  /** Loading, tokenizing or evaluating: what is happening and how far. */
  | { type: 'train-phase'; runId: string; phase: string; done: number; total: number }
  | { type: 'train-status'; runId: string; status: RunStatus; step: number; error?: string }
  /** An RL rollout's episodes as completions-table rows (GRPO, PPO): prompt, turns with calls, reward per component. */
  | { type: 'train-completions'; runId: string; rows: CompletionRow[] }
  /** A piece of the assistant text being sampled in chat slot `slot`. */
  | { type: 'chat-text'; slot: number; text: string }
  /** A finished assistant turn of slot `slot`: its text, parsed calls, their schema checks and results. */
  | { type: 'chat-turn'; slot: number; turn: EpisodeTurn }
  /** The page is asked to run one call (its executor is not the worker's mock world); answer with chat-tool-result. */
  | { type: 'chat-tool-call'; slot: number; callId: string; call: ToolCall }
  /** How far an evaluation is: model `model` of `models`, loading or generating (done / total examples). */
  | { type: 'eval-progress'; evalId: string; model: number; models: number; label: string; mode: EvalMode; phase: string; done: number; total: number; etaSeconds: number | null }
  /** What the pending export-run is doing. */
  | { type: 'export-phase'; runId: string; phase: string }
  /** What the pending export-config is doing. */
  | { type: 'export-config-phase'; phase: string };

export type EngineMessage = EngineReply | EngineEvent;

/** Request variant by its type name. */
export type RequestOf<T extends EngineRequest['type']> = Extract<EngineRequest, { type: T }>;

/** By convention a request of type "x" succeeds with a reply of type "x-ok". */
export type ReplyOf<T extends EngineRequest['type']> = Extract<EngineReply, { type: `${T}-ok` }>;

export function toWireError(e: unknown): WireError {
  if (e instanceof Error) {
    const help = (e as Error & { help?: unknown }).help;
    return { name: e.name, message: e.message, help: Array.isArray(help) ? (help as string[]) : undefined };
  }
  return { name: 'Error', message: String(e) };
}
