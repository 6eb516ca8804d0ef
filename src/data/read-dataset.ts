// Reads a whole dataset file (text, or a byte stream read chunk by chunk with progress) into a
// validation report and the kept examples. Used by the import worker, the CLI and the tests.

import type { DatasetExample } from './conversation.ts';
import { type RecordSplitter, makeSplitter, sniffLayout, stripBom } from './records.ts';
import { DatasetValidator, type ValidationOptions, type ValidationReport } from './validate.ts';

export interface DatasetReadResult {
  report: ValidationReport;
  examples: DatasetExample[];
}

/** How much text to look at before deciding JSONL / JSON array / not a dataset. */
const SNIFF_CHARS = 4096;

export class DatasetReader {
  private readonly validator: DatasetValidator;
  private splitter: RecordSplitter | null = null;
  private head = '';
  private rejected = false;
  private started = false;

  constructor(options: ValidationOptions = {}) {
    this.validator = new DatasetValidator(options);
  }

  /** Feeds decoded text (the first chunk may start with a BOM). */
  push(chunk: string): void {
    if (this.rejected) return;
    if (!this.started) {
      if (chunk === '') return; // the BOM can only be in the first non-empty chunk
      chunk = stripBom(chunk);
      this.started = true;
    }
    if (!this.splitter) {
      this.head += chunk;
      if (this.head.length < SNIFF_CHARS) return;
      chunk = this.head;
      this.head = '';
      if (!this.decide(chunk)) return;
    }
    for (const r of this.splitter!.push(chunk)) this.validator.addRecord(r);
  }

  private decide(head: string): boolean {
    const sniff = sniffLayout(head);
    if ('problem' in sniff) {
      this.rejected = true;
      this.validator.addFileProblem(0, sniff.problem);
      return false;
    }
    this.splitter = makeSplitter(sniff.layout);
    return true;
  }

  finish(): DatasetReadResult {
    if (!this.splitter && !this.rejected) {
      const head = this.head;
      this.head = '';
      if (this.decide(head)) for (const r of this.splitter!.push(head)) this.validator.addRecord(r);
    }
    if (this.splitter) {
      const end = this.splitter.finish();
      for (const r of end.records) this.validator.addRecord(r);
      if (end.problem) this.validator.addFileProblem(end.problem.line, end.problem.message);
    }
    return { report: this.validator.finish(), examples: this.validator.examples };
  }
}

export function readDatasetText(text: string, options: ValidationOptions = {}): DatasetReadResult {
  const reader = new DatasetReader(options);
  reader.push(text);
  return reader.finish();
}

export interface StreamReadOptions extends ValidationOptions {
  /** Total size in bytes, for progress (File.size). */
  totalBytes?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** Reads a byte stream (File.stream(), a Node file stream) with a streaming decoder: UTF-8, or UTF-16 with a BOM. */
export async function readDatasetStream(stream: ReadableStream<Uint8Array>, options: StreamReadOptions = {}): Promise<DatasetReadResult> {
  const reader = new DatasetReader(options);
  let decoder: TextDecoder | null = null;
  const source = stream.getReader();
  let bytesRead = 0;
  let head: Uint8Array = new Uint8Array(0); // bytes held back until the first two say which encoding this is
  for (;;) {
    const { done, value } = await source.read();
    if (done) break;
    bytesRead += value.byteLength;
    let bytes: Uint8Array = value;
    if (!decoder) {
      head = concatBytes(head, value);
      if (head.length < 2) continue;
      // The BOM picks the encoding (Windows editors save "Unicode" as UTF-16). The decoder keeps it
      // (ignoreBOM) and the reader strips exactly one, as for text: a second U+FEFF is content, wherever the chunks end.
      const encoding = head[0] === 0xff && head[1] === 0xfe ? 'utf-16le' : head[0] === 0xfe && head[1] === 0xff ? 'utf-16be' : 'utf-8';
      decoder = new TextDecoder(encoding, { ignoreBOM: true });
      bytes = head;
      head = new Uint8Array(0);
    }
    reader.push(decoder.decode(bytes, { stream: true }));
    options.onProgress?.(bytesRead, options.totalBytes ?? bytesRead);
  }
  // Flush the decoder, or decode a file too short (0-1 bytes) to have chosen one.
  reader.push(decoder ? decoder.decode() : new TextDecoder('utf-8').decode(head));
  return reader.finish();
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
