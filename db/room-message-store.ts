import type { RoomMessageEvent } from "../core/events";

/**
 * Persisted room messages. `insert` is idempotent: a message already stored (same tenant and id) is
 * skipped, so replays and duplicate deliveries leave one row. Reads are always scoped to one tenant.
 */
export interface RoomMessageStore {
  /** Stores the messages in one transaction; returns how many were new. */
  insert(messages: RoomMessageEvent[]): Promise<number>;
  /** Messages of a room with seq > afterSeq, ascending, at most `limit`. */
  list(tenant: string, room: string, options: { afterSeq: number; limit: number }): Promise<RoomMessageEvent[]>;
  /** Highest stored seq of a room, 0 when empty. */
  maxSeq(tenant: string, room: string): Promise<number>;
}
