import { TtlReads } from "../core/ttl-reads";
import { WindowBatcher } from "../core/window-batcher";
import type { ConversationStore } from "../db/stores/conversations";

/** Lookups of one school asked within this window are one query (with a store that has `getMany`). */
const BATCH_WINDOW_MS = 10;

/** Conversations whose last read member list a node keeps for a database outage (the oldest read dropped first). */
const KNOWN_MAX = 50_000;

/**
 * A conversation's members as `chat:sync` / `chat:send` check them, shared per node: concurrent lookups of
 * one conversation share one query and its answer is reused for `ttlMs` (default 2 s). A reconnect storm
 * brings every client of a dead node to a new socket with a cold per-socket cache, each asking for its
 * conversations' members at once; that was one query per socket and exhausted the PostgreSQL pool
 * (chat:sync answered 5000). The sharing is core/ttl-reads.ts (one read in flight per conversation,
 * failures not kept, bounded). Only a positive answer is taken from the shared copy: a user not in it is
 * looked up afresh (`getForMember`), so someone just added is never refused; someone just removed may
 * still pass for up to `ttlMs` (the per-socket cache already allowed 30 s). Keys include the tenant.
 *
 * While the database does not answer, a user found in the conversation's last member list this node read
 * is answered from it (that list, however old): members are only ever added to a conversation (no route
 * removes one; db/stores/conversations.ts), so someone in an earlier list is a member still. Anyone else
 * still gets the store's failure (5001 / 5002): the lookup stays closed to whoever it could not vouch for.
 * With PostgreSQL stopped, chat sends went on being refused 5001 once the sockets' 30 s caches were cold
 * (`npm run chaos`, about 12,000 refusals a run), although Kafka holds the writes.
 */
export class ConversationLookup {
  private readonly cache: TtlReads<string[] | undefined>;
  /**
   * With a store that reads many conversations at once: the lookups of one school within BATCH_WINDOW_MS
   * are one query. Shared per conversation only, a storm still made one transaction per conversation: 3,334
   * clients of a killed node syncing theirs had chat:sync answered 5002 ("database did not answer in time")
   * 455 times (`npm run chaos`, 10,000 clients, 2026-11-30 21:37).
   */
  private readonly batcher: WindowBatcher<string, string[] | undefined> | undefined;
  /** Per conversation (tenant-keyed), the last member list read; insertion order is read order. */
  private readonly known = new Map<string, string[]>();

  constructor(
    private readonly conversations: Pick<ConversationStore, "get" | "getForMember"> & Partial<Pick<ConversationStore, "getMany">>,
    ttlMs = 2_000,
  ) {
    this.cache = new TtlReads(ttlMs);
    const getMany = conversations.getMany?.bind(conversations);
    if (getMany) this.batcher = new WindowBatcher(async (tenant, ids) => {
      const found = await getMany(tenant, ids);
      return ids.map((id) => found.get(id)?.members);
    }, BATCH_WINDOW_MS);
  }

  /** The members when `user` is one of them, else undefined. */
  async membersFor(tenant: string, conversationId: string, user: string): Promise<string[] | undefined> {
    const key = `${tenant}\u0000${conversationId}`;
    try {
      const members = this.remember(key, await this.members(key, tenant, conversationId));
      if (members?.includes(user)) return members;
      return this.remember(key, (await this.conversations.getForMember(tenant, conversationId, user))?.members);
    } catch (err) {
      const last = this.known.get(key);
      if (last?.includes(user)) return last;
      throw err;
    }
  }

  private members(key: string, tenant: string, conversationId: string): Promise<string[] | undefined> {
    return this.cache.get(key, () => (this.batcher ? this.batcher.add(tenant, conversationId) : this.conversations.get(tenant, conversationId).then((c) => c?.members)));
  }

  private remember(key: string, members: string[] | undefined): string[] | undefined {
    if (members === undefined) return undefined;
    this.known.delete(key);
    this.known.set(key, members);
    if (this.known.size > KNOWN_MAX) this.known.delete(this.known.keys().next().value as string);
    return members;
  }
}
