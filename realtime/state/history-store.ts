/**
 * Recent deliveries per stream (room or conversation), for recovery after a reconnect. Bounded: the last
 * `size` entries, dropped after `ttlSeconds` without writes. Entries are keyed by their sequence number,
 * so appending the same seq twice keeps one. Not durable: a miss falls back to the database.
 */
export interface HistoryStore {
  append(stream: string, seq: number, payload: string): Promise<void>;
  /** Entries with seq > `after`, ascending, at most `limit`. */
  since(stream: string, after: number, limit: number): Promise<Array<{ seq: number; payload: string }>>;
}

export interface HistoryOptions {
  /** Entries kept per stream. Default 300 (Centrifugo's default history size). */
  size: number;
  /** Seconds a stream's history lives after its last write. Default 600. */
  ttlSeconds: number;
}

export const historyDefaults: HistoryOptions = { size: 300, ttlSeconds: 600 };
