import { WindowBatcher } from "../../core/window-batcher";
import type { SequenceSeed } from "./sequence-store";

/** Seeds of one school's rooms asked within this window are one database read. */
export const ROOM_SEED_WINDOW_MS = 10;

/**
 * The seed of sequence keys (`tenant:room`, or `tenant:c:conversation`) from the database, the rooms of one
 * school asked within ROOM_SEED_WINDOW_MS read together (`roomMaxSeqs`, one query). A reconnect storm's
 * rejoins ask for the counters of every room the dead node served, and rooms that never had a message have
 * none in Redis: at a seed query per room, the survivors' PostgreSQL pools (10 connections, 5 s to get one)
 * timed out, and 7,098 room:join were answered 5002 in the 13,000-per-node storm. Conversations keep one read each.
 */
export function batchedSeed(
  roomMaxSeqs: (tenant: string, rooms: string[]) => Promise<Map<string, number>>,
  conversationMaxSeq: (tenant: string, conversation: string) => Promise<number>,
  windowMs = ROOM_SEED_WINDOW_MS,
): SequenceSeed {
  const rooms = new WindowBatcher<string, number>(async (tenant, names) => {
    const found = await roomMaxSeqs(tenant, [...new Set(names)]);
    return names.map((n) => found.get(n) ?? 0);
  }, windowMs);
  return (key) => {
    const at = key.indexOf(":"); // tenants never contain ':' (core/tenancy.ts)
    const [tenant, rest] = [key.slice(0, at), key.slice(at + 1)];
    if (rest.startsWith("c:")) return conversationMaxSeq(tenant, rest.slice(2));
    return rooms.add(tenant, rest);
  };
}
