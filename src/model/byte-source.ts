// Random-access byte sources: the one interface the safetensors reader streams from (memory, Blob/File, Node file).
// Reading through ranges is what lets a 1 GB checkpoint reach the GPU without a full copy in JS memory.

export interface ByteSource {
  /** Name for error messages (a file name or URL). */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /** `length` bytes from `offset`; fewer only if the source is shorter (callers check). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A source over bytes already in memory (tests, small files). */
export function memorySource(name: string, bytes: Uint8Array): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.byteLength, offset + length)),
  };
}

/** A source over a Blob or File (dropped files, Cache Storage responses): slices are read lazily. */
export function blobSource(name: string, blob: Blob): ByteSource {
  return {
    name,
    size: blob.size,
    read: async (offset, length) => new Uint8Array(await blob.slice(offset, Math.min(blob.size, offset + length)).arrayBuffer()),
  };
}

/** A set of named files (a model folder): returns null when a file is absent. */
export type FileProvider = (fileName: string) => Promise<ByteSource | null>;

/** A FileProvider over an in-memory map (tests, dropped files already read). */
export function mapProvider(files: Map<string, Uint8Array | Blob>): FileProvider {
  return async (fileName) => {
    const f = files.get(fileName);
    if (!f) return null;
    return f instanceof Uint8Array ? memorySource(fileName, f) : blobSource(fileName, f);
  };
}

/** Reads a whole (small) file as text: config.json, tokenizer files, index files. */
export async function readText(src: ByteSource): Promise<string> {
  return new TextDecoder().decode(await src.read(0, src.size));
}
