import { TtlReads } from "../core/ttl-reads";
import type { ConversationStore } from "../db/stores/conversations";

/**
 * A conversation's members as `chat:sync` / `chat:send` check them, shared per node: concurrent lookups of
 * one conversation share one query and its answer is reused for `ttlMs` (default 2 s). A reconnect storm
 * brings every client of a dead node to a new socket with a cold per-socket cache, each asking for its
 * conversations' members at once; that was one query per socket and exhausted the PostgreSQL pool
 * (chat:sync answered 5000). The sharing is core/ttl-reads.ts (one read in flight per conversation,
 * failures not kept, bounded). Only a positive answer is taken from the shared copy: a user not in it is
 * looked up afresh (`getForMember`), so someone just added is never refused; someone just removed may
 * still pass for up to `ttlMs` (the per-socket cache already allowed 30 s). Keys include the tenant.
 */
export class ConversationLookup {
  private readonly cache: TtlReads<string[] | undefined>;

  constructor(
    private readonly conversations: Pick<ConversationStore, "get" | "getForMember">,
    ttlMs = 2_000,
  ) {
    this.cache = new TtlReads(ttlMs);
  }

  /** The members when `user` is one of them, else undefined. */
  async membersFor(tenant: string, conversationId: string, user: string): Promise<string[] | undefined> {
    const members = await this.members(tenant, conversationId);
    if (members?.includes(user)) return members;
    return (await this.conversations.getForMember(tenant, conversationId, user))?.members;
  }

  private members(tenant: string, conversationId: string): Promise<string[] | undefined> {
    return this.cache.get(`${tenant}\u0000${conversationId}`, () => this.conversations.get(tenant, conversationId).then((c) => c?.members));
  }
}
