import { newEvent, publishEvents } from "../../core/contracts/streams";
import { AppError, ErrorCode } from "../../core/errors";
import type { ChatMessageDelivery } from "../../core/events";
import { recover } from "../recovery";
import { maybeWarn, type HandlerContext } from "./context";
import { sendOnce } from "./idempotent";
import { socketRooms, orderingKeys } from "../../core/tenant-keys";

const MEMBERSHIP_CACHE_MS = 30_000;

type MemberCache = Map<string, { users: string[]; until: number }>;

/** The conversation's members when the caller is one (cached 30 s per socket; a cold socket asks the node's shared lookup), else 404. */
async function membersOf(ctx: HandlerContext, members: MemberCache, conversationId: string): Promise<string[]> {
  const hit = members.get(conversationId);
  if (hit && hit.until > Date.now()) return hit.users;
  const p = ctx.socket.data.principal;
  const found = await ctx.conversations.membersFor(p.tenant, conversationId, p.user);
  if (!found) throw new AppError(ErrorCode.NotFound, `no conversation ${conversationId}`);
  members.set(conversationId, { users: found, until: Date.now() + MEMBERSHIP_CACHE_MS });
  return found;
}

function toMembers(ctx: HandlerContext, tenant: string, users: string[]) {
  return ctx.io.to(users.map((u) => socketRooms.user(tenant, u))).except(ctx.socket.id);
}

/** chat:send (idempotent), chat:receipt, chat:typing, chat:sync — members of the conversation only. */
export function registerChatHandlers(ctx: HandlerContext): void {
  const { socket, services, io } = ctx;
  const { stores, quotas } = services;
  const { on } = ctx;
  const members: MemberCache = new Map();

  on("chat:send", async ({ conversationId, text, key }) => {
    const p = socket.data.principal;
    ctx.publisher.admit(); // before any read (see room:message)
    const users = await membersOf(ctx, members, conversationId);
    const bytes = Buffer.byteLength(text, "utf8");
    return sendOnce(ctx, key, {
      number: async (id) => {
        maybeWarn(ctx, await quotas.consumeMessage(p.tenant, bytes, users.length));
        return ctx.publisher.numberChat(p, conversationId, text, id);
      },
      publish: async (numbered) => {
        const event = await ctx.publisher.publishChat(numbered, (delivery) => {
          toMembers(ctx, p.tenant, users).emit("chat:message", delivery);
          services.metrics.realtimeEventsOut.inc({ event: "chat:message" });
        });
        return { id: event.id, seq: event.data.seq };
      },
    });
  });

  on("chat:receipt", async ({ conversationId, kind, upToSeq }) => {
    const p = socket.data.principal;
    const users = await membersOf(ctx, members, conversationId);
    await publishEvents(services.bus, "chat", [newEvent("chat.receipt", p.tenant, { conversationId, user: p.user, kind, upToSeq })]);
    toMembers(ctx, p.tenant, users).emit("chat:receipt", { conversationId, user: p.user, kind, upToSeq });
    return { conversationId, upToSeq };
  });

  on("chat:typing", async ({ conversationId }) => {
    const p = socket.data.principal;
    const users = await membersOf(ctx, members, conversationId);
    io.volatile.to(users.filter((u) => u !== p.user).map((u) => socketRooms.user(p.tenant, u))).emit("chat:typing", { conversationId, user: p.user });
    return {};
  });

  on("chat:sync", async ({ conversationId, since }) => {
    const p = socket.data.principal;
    await membersOf(ctx, members, conversationId);
    const stream = orderingKeys.chatHistory(p.tenant, conversationId);
    const { recovered, messages, pending, seq } = await recover<ChatMessageDelivery>(services, "chat", stream, since, (after, limit) =>
      ctx.reads.read(stream, after, limit, async (a, l) => (await stores.conversations.messages(p.tenant, conversationId, { afterSeq: a, limit: l })).map((m) => ({ conversationId, ...m }))),
    );
    return { conversationId, seq, recovered, messages, ...(pending.length > 0 ? { pending } : {}) };
  });
}
