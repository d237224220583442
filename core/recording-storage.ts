import type { Readable } from "node:stream";

/** An inclusive byte range of a stored object (HTTP Range semantics: `start`..`end`, both within the object). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where recording files live (docs/RECORDING.md): a local directory by default, or an S3-compatible
 * bucket. Keys are relative paths (`tenant/class/recording.webm`) checked by `assertStorageKey`.
 * Guarantees: `put` is atomic for readers (a key is either absent or complete); `read` of a missing key
 * rejects with a NotFound AppError; `delete` of a missing key succeeds.
 */
export interface RecordingStorage {
  readonly kind: "local" | "s3";
  /** Stores the file at `path` under `key` (replacing any object there); resolves to its size in bytes. */
  put(key: string, path: string): Promise<number>;
  /** The object's size, or undefined when there is none. */
  size(key: string): Promise<number | undefined>;
  /** The object's bytes (all, or `range`), as a stream. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  delete(key: string): Promise<void>;
  close?(): void;
}

const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}(\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}){0,7}$/;

/** Throws unless `key` is a safe relative path: segments of [A-Za-z0-9._-], none starting with a dot. */
export function assertStorageKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`invalid storage key ${JSON.stringify(key)}`);
  return key;
}
