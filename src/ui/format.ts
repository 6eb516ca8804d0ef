// The UI's path to the shared formatting helpers (they live in src/util/ because the CLI uses them too).
export * from '../util/format.ts';
