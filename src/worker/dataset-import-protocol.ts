// Messages between the Datasets page and the dataset import worker (a separate worker: it reads and
// validates big files while the UI stays responsive, and needs no GPU). Each file import has an id.

import type { DatasetExample, DatasetKind } from '../data/conversation.ts';
import type { ValidationReport } from '../data/validate.ts';
import type { DatasetRecord } from '../store/datasets.ts';
import type { ToolDefinition } from '../tools/types.ts';

export type ImportRequest =
  /**
   * Read and validate a file; the examples stay in the worker until `save` or `discard`. Without `tools` the
   * structure is checked and the tools the calls use are reported; with them every call is checked.
   */
  | { type: 'validate'; id: number; file: File; tools?: ToolDefinition[]; toolSetName?: string; maxTokens?: number }
  /** Store the validated examples in IndexedDB under this name. */
  | { type: 'save'; id: number; name: string }
  | { type: 'discard'; id: number };

export type ImportReply =
  | { type: 'progress'; id: number; bytesRead: number; totalBytes: number }
  | {
      type: 'validated';
      id: number;
      kind: DatasetKind | null;
      report: ValidationReport;
      /** The first rows, for the preview before saving. */
      preview: DatasetExample[];
      contentHash: string;
    }
  | { type: 'saved'; id: number; record: DatasetRecord }
  /** A failure of this import (the report, or the save); `quota` marks a storage-quota error. */
  | { type: 'failed'; id: number; stage: 'validate' | 'save'; message: string; quota?: boolean };

export const PREVIEW_ROWS = 20;
