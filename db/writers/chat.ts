import { and, eq, sql } from "drizzle-orm";
import type { ChatMessageCreated, ChatReceipt } from "../../core/contracts/events";
import type { Database } from "../database";
import { chatMessages, conversationMembers } from "../schema";

export async function insertChatMessages(tx: Database, events: ChatMessageCreated[]): Promise<void> {
  await tx
    .insert(chatMessages)
    .values(
      events.map((ev) => ({
        tenantId: ev.tenant,
        id: ev.id,
        conversationId: ev.data.conversationId,
        seq: ev.data.seq,
        userId: ev.data.user,
        text: ev.data.text,
        sentAt: new Date(ev.at),
      })),
    )
    .onConflictDoNothing({ target: [chatMessages.tenantId, chatMessages.id] });
}

/** Receipts only move forward (greatest), so replays and reordering across sessions are harmless. */
export async function applyReceipts(tx: Database, events: ChatReceipt[]): Promise<void> {
  for (const ev of events) {
    const column = ev.data.kind === "read" ? conversationMembers.lastReadSeq : conversationMembers.lastDeliveredSeq;
    const set =
      ev.data.kind === "read"
        ? { lastReadSeq: sql`greatest(${column}, ${ev.data.upToSeq})`, lastDeliveredSeq: sql`greatest(${conversationMembers.lastDeliveredSeq}, ${ev.data.upToSeq})` }
        : { lastDeliveredSeq: sql`greatest(${column}, ${ev.data.upToSeq})` };
    await tx
      .update(conversationMembers)
      .set(set)
      .where(
        and(
          eq(conversationMembers.tenantId, ev.tenant),
          eq(conversationMembers.conversationId, ev.data.conversationId),
          eq(conversationMembers.userId, ev.data.user),
        ),
      );
  }
}
