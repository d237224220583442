import { TtlReads } from "../core/ttl-reads";
import { WindowBatcher } from "../core/window-batcher";
import type { RoomStore, RoomView } from "../db/stores/rooms";

/** Lookups of one school asked within this window are one query (with a store that has `getMany`). */
const BATCH_WINDOW_MS = 10;

/**
 * Room registrations as the join path reads them: concurrent lookups of a room share one query and
 * its answer is reused for `ttlMs` (default 1 s), so a class of 10,000 joining one room costs a few
 * queries instead of 10,000 (core/ttl-reads.ts: one read in flight per room, failures not kept,
 * bounded). Staleness is bounded by `ttlMs` (plus the read's own time): a room made private refuses
 * non-members' joins at most that long after. Keys include the tenant.
 */
export class RoomLookup {
  private readonly cache: TtlReads<RoomView | undefined>;
  /**
   * With a store that reads many rooms at once: the lookups of one school within BATCH_WINDOW_MS are one
   * query. A reconnect storm rejoins the rooms of a dead node's clients at once — 8,000 sockets are 400
   * rooms of 20 — and one query per room exhausted the PostgreSQL pool (room:join 5000).
   */
  private readonly batcher: WindowBatcher<string, RoomView | undefined> | undefined;

  constructor(
    private readonly rooms: Pick<RoomStore, "get"> & Partial<Pick<RoomStore, "getMany">>,
    ttlMs = 1_000,
  ) {
    this.cache = new TtlReads(ttlMs);
    const getMany = rooms.getMany?.bind(rooms);
    if (getMany) this.batcher = new WindowBatcher(async (tenant, names) => {
      const found = await getMany(tenant, names);
      return names.map((n) => found.get(n));
    }, BATCH_WINDOW_MS);
  }

  get(tenant: string, room: string): Promise<RoomView | undefined> {
    return this.cache.get(`${tenant}\u0000${room}`, () => (this.batcher ? this.batcher.add(tenant, room) : this.rooms.get(tenant, room)));
  }
}
