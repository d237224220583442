import type { RoomMessageCreated } from "../core/contracts/events";

/** A room message as read back. */
export interface StoredRoomMessage {
  id: string;
  room: string;
  seq: number;
  user: string;
  text: string;
  sentAt: string;
  editedAt: string | null;
  deleted: boolean;
}

/**
 * Persisted room messages. `insert` is idempotent: a message already stored (same tenant and id) is
 * skipped, so replays and duplicate deliveries leave one row. Reads are always scoped to one tenant.
 */
export interface RoomMessageStore {
  /** Stores the messages; returns how many were new. */
  insert(messages: RoomMessageCreated[]): Promise<number>;
  /** Messages of a room with afterSeq < seq < beforeSeq, ascending, at most `limit`. */
  list(tenant: string, room: string, options: { afterSeq: number; beforeSeq?: number; limit: number }): Promise<StoredRoomMessage[]>;
  /** Highest stored seq of a room, 0 when empty. */
  maxSeq(tenant: string, room: string): Promise<number>;
  /** `maxSeq` of several rooms of a tenant in one read: every room asked has an entry (0 when empty). */
  maxSeqs(tenant: string, rooms: string[]): Promise<Map<string, number>>;
}
