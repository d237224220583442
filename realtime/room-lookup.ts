import { WindowBatcher } from "../core/window-batcher";
import type { RoomStore, RoomView } from "../db/stores/rooms";

const MAX_ENTRIES = 10_000;
/** Lookups of one school asked within this window are one query (with a store that has `getMany`). */
const BATCH_WINDOW_MS = 10;

/**
 * Room registrations as the join path reads them: concurrent lookups of a room share one query and
 * its answer is reused for `ttlMs` (default 1 s), so a class of 10,000 joining one room costs a few
 * queries instead of 10,000. Staleness is bounded by `ttlMs`: a room made private refuses
 * non-members' joins at most that long after. Keys include the tenant.
 */
export class RoomLookup {
  private readonly cache = new Map<string, { until: number; view: Promise<RoomView | undefined> }>();
  /**
   * With a store that reads many rooms at once: the lookups of one school within BATCH_WINDOW_MS are one
   * query. A reconnect storm rejoins the rooms of a dead node's clients at once — 8,000 sockets are 400
   * rooms of 20 — and one query per room exhausted the PostgreSQL pool (room:join 5000).
   */
  private readonly batcher: WindowBatcher<string, RoomView | undefined> | undefined;

  constructor(
    private readonly rooms: Pick<RoomStore, "get"> & Partial<Pick<RoomStore, "getMany">>,
    private readonly ttlMs = 1_000,
  ) {
    const getMany = rooms.getMany?.bind(rooms);
    if (getMany) this.batcher = new WindowBatcher(async (tenant, names) => {
      const found = await getMany(tenant, names);
      return names.map((n) => found.get(n));
    }, BATCH_WINDOW_MS);
  }

  get(tenant: string, room: string): Promise<RoomView | undefined> {
    const key = `${tenant}\u0000${room}`;
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.view;
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    const view = this.batcher ? this.batcher.add(tenant, room) : this.rooms.get(tenant, room);
    this.cache.set(key, { until: now + this.ttlMs, view });
    view.catch(() => this.cache.delete(key));
    return view;
  }
}
