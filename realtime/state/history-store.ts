/**
 * Recent deliveries per stream (room or conversation), for recovery after a reconnect. Bounded: the last
 * `size` entries, dropped after `ttlSeconds` without writes. Entries are keyed by their sequence number,
 * so appending the same seq twice keeps one. Not durable: a miss falls back to the database.
 *
 * A seq is reserved when it is handed out, before its message is published: until the message is appended
 * (which replaces the reservation), a recovery sees that the seq is on its way — numbered, still waiting
 * for the bus, or for its sender's resend after its node died — rather than missing (a hole the database
 * cannot fill either). A reservation never replaces a message.
 */
export interface HistoryStore {
  append(stream: string, seq: number, payload: string): Promise<void>;
  /** Marks `seq` handed out at `atMs` (epoch ms) and not yet published; a no-op when the seq already has an entry. */
  reserve(stream: string, seq: number, atMs: number): Promise<void>;
  /** Entries with seq > `after`, ascending, at most `limit` (reservations count). */
  since(stream: string, after: number, limit: number): Promise<HistoryEntry[]>;
}

/** A message (`payload`), or a seq reserved at `reservedAt` whose message has not been appended yet. */
export type HistoryEntry = { seq: number; payload: string } | { seq: number; reservedAt: number };

export interface HistoryOptions {
  /** Entries kept per stream. Default 300 (Centrifugo's default history size). */
  size: number;
  /** Seconds a stream's history lives after its last write. Default 600. */
  ttlSeconds: number;
}

export const historyDefaults: HistoryOptions = { size: 300, ttlSeconds: 600 };
