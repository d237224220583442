import type { RoomStore, RoomView } from "../db/stores/rooms";

const MAX_ENTRIES = 10_000;

/**
 * Room registrations as the join path reads them: concurrent lookups of a room share one query and
 * its answer is reused for `ttlMs` (default 1 s), so a class of 10,000 joining one room costs a few
 * queries instead of 10,000. Staleness is bounded by `ttlMs`: a room made private refuses
 * non-members' joins at most that long after. Keys include the tenant.
 */
export class RoomLookup {
  private readonly cache = new Map<string, { until: number; view: Promise<RoomView | undefined> }>();

  constructor(
    private readonly rooms: Pick<RoomStore, "get">,
    private readonly ttlMs = 1_000,
  ) {}

  get(tenant: string, room: string): Promise<RoomView | undefined> {
    const key = `${tenant}\u0000${room}`;
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.view;
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    const view = this.rooms.get(tenant, room);
    this.cache.set(key, { until: now + this.ttlMs, view });
    view.catch(() => this.cache.delete(key));
    return view;
  }
}
