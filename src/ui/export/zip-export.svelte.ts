// One zip export as both Export panels run it (runes class): which target the worker is building, the phase it
// reports, the error, and the last zip (downloaded as it arrives). The panels differ only in the request they send.
import type { EngineClient } from '../../worker/engine-client.ts';
import type { EngineEvent } from '../../worker/protocol.ts';
import { downloadFile } from '../download.ts';
import { studio } from '../studio.svelte.ts';

/** What an export request replies with; `Extra` is what a panel shows besides (the run export's checkpoint step). */
export type ZipReply<Extra> = { name: string; zip: Uint8Array; paths: string[] } & Extra;
export type ZipResult<Target, Extra> = { name: string; target: Target; paths: string[]; bytes: number } & Extra;

export class ZipExport<Target extends string, Extra extends object = object> {
  busy = $state<Target | null>(null);
  phase = $state<string | null>(null);
  error = $state<string | null>(null);
  last = $state<ZipResult<Target, Extra> | null>(null);

  private unsubscribe: (() => void) | null = null;

  /** `phaseOf`: the phase an engine event reports for this panel's export, or null when it is not one. */
  constructor(private readonly phaseOf: (ev: EngineEvent) => string | null) {}

  /** Listens for the worker's phase events (once; the engine may not be up yet). */
  listen(): void {
    this.unsubscribe ??= studio.engine?.onEvent((ev) => {
      const phase = this.phaseOf(ev);
      if (phase !== null && this.busy) this.phase = phase;
    }) ?? null;
  }

  dispose(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Asks the worker for `target` as a zip (through `request`) and downloads it; a failure is kept as `error`. */
  async run(target: Target, request: (engine: EngineClient) => Promise<ZipReply<Extra>>): Promise<void> {
    const engine = studio.engine;
    if (!engine) return;
    this.busy = target;
    this.error = null;
    this.phase = null;
    try {
      const { zip, ...rest } = await request(engine);
      downloadFile(rest.name, zip as BlobPart, 'application/zip');
      this.last = { ...rest, target, bytes: zip.byteLength } as ZipResult<Target, Extra>;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.busy = null;
      this.phase = null;
    }
  }
}
