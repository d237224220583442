import { randomUUID } from "node:crypto";
import { and, asc, desc, eq, gt, inArray, lt, sql } from "drizzle-orm";
import type { Database } from "../database";
import { chatMessages, conversationMembers, conversations } from "../schema";
import { withTenant } from "../tenant-scope";

/** A UUID's text form (conversation ids are UUIDs: PostgreSQL refuses anything else in a uuid column). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ConversationView {
  id: string;
  kind: "direct" | "group";
  title: string | null;
  members: string[];
  createdBy: string;
  createdAt: string;
}

/** A conversation row and its members (sorted) as the stores answer it. */
function toView(row: typeof conversations.$inferSelect, members: string[]): ConversationView {
  return { id: row.id, kind: row.kind, title: row.title, members, createdBy: row.createdBy, createdAt: row.createdAt.toISOString() };
}

export interface ConversationSummary extends ConversationView {
  lastSeq: number;
  lastReadSeq: number;
  unread: number;
}

export interface ChatMessageView {
  id: string;
  seq: number;
  user: string;
  text: string;
  sentAt: string;
}

/**
 * Direct and group conversations, their members, receipts and messages.
 *
 * A conversation's members are fixed when it is created: nothing removes one. The realtime nodes rely on it
 * (realtime/conversation-lookup.ts answers a member from an earlier read while the database is down). A
 * change that removes members must first stop that.
 */
export class ConversationStore {
  constructor(private readonly db: Database) {}

  /** A direct conversation exists once per pair: asking again returns it with `created: false`. */
  create(
    tenant: string,
    input: { kind: "direct" | "group"; title?: string; members: string[]; createdBy: string },
  ): Promise<{ conversation: ConversationView; created: boolean }> {
    const members = [...new Set([input.createdBy, ...input.members])].sort();
    const directKey = input.kind === "direct" ? members.join("|") : null;
    return withTenant(this.db, tenant, async (tx) => {
      const id = randomUUID();
      const [row] = await tx
        .insert(conversations)
        .values({ tenantId: tenant, id, kind: input.kind, title: input.title ?? null, directKey, createdBy: input.createdBy })
        .onConflictDoNothing()
        .returning();
      if (!row) {
        const [existing] = await tx.select().from(conversations).where(and(eq(conversations.tenantId, tenant), eq(conversations.directKey, directKey ?? "")));
        return { conversation: await this.viewOf(tx, existing as typeof conversations.$inferSelect), created: false };
      }
      await tx.insert(conversationMembers).values(members.map((userId) => ({ tenantId: tenant, conversationId: id, userId })));
      return { conversation: toView(row, members), created: true };
    });
  }

  private async viewOf(tx: Database, row: typeof conversations.$inferSelect): Promise<ConversationView> {
    const members = await tx
      .select({ user: conversationMembers.userId })
      .from(conversationMembers)
      .where(and(eq(conversationMembers.tenantId, row.tenantId), eq(conversationMembers.conversationId, row.id)))
      .orderBy(asc(conversationMembers.userId));
    return toView(row, members.map((m) => m.user));
  }

  /** The conversation, whoever asks (the platform's own calls), else undefined. */
  get(tenant: string, id: string): Promise<ConversationView | undefined> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx.select().from(conversations).where(and(eq(conversations.tenantId, tenant), eq(conversations.id, id)));
      return row ? this.viewOf(tx, row) : undefined;
    });
  }

  /**
   * Many conversations of one school in one transaction of two queries, whoever asks; ids not found (and
   * ids that are not UUIDs, which none is) are absent. A reconnect storm syncs the conversations of a dead
   * node's clients at once: one transaction each filled the PostgreSQL pool (chat:sync answered 5002).
   */
  getMany(tenant: string, ids: readonly string[]): Promise<Map<string, ConversationView>> {
    const wanted = [...new Set(ids)].filter((id) => UUID.test(id));
    if (wanted.length === 0) return Promise.resolve(new Map());
    return withTenant(this.db, tenant, async (tx) => {
      const rows = await tx.select().from(conversations).where(and(eq(conversations.tenantId, tenant), inArray(conversations.id, wanted)));
      if (rows.length === 0) return new Map<string, ConversationView>();
      const members = await tx
        .select({ conversationId: conversationMembers.conversationId, user: conversationMembers.userId })
        .from(conversationMembers)
        .where(and(eq(conversationMembers.tenantId, tenant), inArray(conversationMembers.conversationId, rows.map((r) => r.id))))
        .orderBy(asc(conversationMembers.userId));
      const membersOf = new Map<string, string[]>();
      for (const m of members) {
        const list = membersOf.get(m.conversationId);
        if (list) list.push(m.user);
        else membersOf.set(m.conversationId, [m.user]);
      }
      return new Map(rows.map((r) => [r.id, toView(r, membersOf.get(r.id) ?? [])]));
    });
  }

  /** The conversation when `user` is a member of it, else undefined. */
  getForMember(tenant: string, id: string, user: string): Promise<ConversationView | undefined> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx
        .select({ c: conversations })
        .from(conversations)
        .innerJoin(
          conversationMembers,
          and(eq(conversationMembers.tenantId, conversations.tenantId), eq(conversationMembers.conversationId, conversations.id), eq(conversationMembers.userId, user)),
        )
        .where(and(eq(conversations.tenantId, tenant), eq(conversations.id, id)));
      return row ? this.viewOf(tx, row.c) : undefined;
    });
  }

  /** The user's conversations, newest first, with unread counts (messages after their read receipt). */
  listForUser(tenant: string, user: string, options: { limit: number }): Promise<ConversationSummary[]> {
    return withTenant(this.db, tenant, async (tx) => {
      const lastSeq = sql<number>`coalesce((select max(${chatMessages.seq}) from ${chatMessages} where ${chatMessages.tenantId} = ${conversations.tenantId} and ${chatMessages.conversationId} = ${conversations.id}), 0)`;
      const rows = await tx
        .select({ c: conversations, lastReadSeq: conversationMembers.lastReadSeq, lastSeq })
        .from(conversations)
        .innerJoin(
          conversationMembers,
          and(eq(conversationMembers.tenantId, conversations.tenantId), eq(conversationMembers.conversationId, conversations.id), eq(conversationMembers.userId, user)),
        )
        .where(eq(conversations.tenantId, tenant))
        .orderBy(desc(conversations.createdAt))
        .limit(options.limit);
      const out: ConversationSummary[] = [];
      for (const r of rows) {
        const last = Number(r.lastSeq);
        out.push({ ...(await this.viewOf(tx, r.c)), lastSeq: last, lastReadSeq: r.lastReadSeq, unread: Math.max(0, last - r.lastReadSeq) });
      }
      return out;
    });
  }

  /** Highest stored seq of a conversation, 0 when empty. */
  maxSeq(tenant: string, id: string): Promise<number> {
    return withTenant(this.db, tenant, async (tx) => {
      const [row] = await tx
        .select({ value: sql<string | null>`max(${chatMessages.seq})` })
        .from(chatMessages)
        .where(and(eq(chatMessages.tenantId, tenant), eq(chatMessages.conversationId, id)));
      return Number(row?.value ?? 0);
    });
  }

  messages(tenant: string, id: string, options: { afterSeq: number; beforeSeq?: number; limit: number }): Promise<ChatMessageView[]> {
    return withTenant(this.db, tenant, async (tx) => {
      const rows = await tx
        .select()
        .from(chatMessages)
        .where(
          and(
            eq(chatMessages.tenantId, tenant),
            eq(chatMessages.conversationId, id),
            gt(chatMessages.seq, options.afterSeq),
            options.beforeSeq === undefined ? undefined : lt(chatMessages.seq, options.beforeSeq),
          ),
        )
        .orderBy(asc(chatMessages.seq))
        .limit(options.limit);
      return rows.map((r) => ({ id: r.id, seq: r.seq, user: r.userId, text: r.text, sentAt: r.sentAt.toISOString() }));
    });
  }
}
