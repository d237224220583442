import { AppError, ErrorCode } from "../core/errors";
import type { Role } from "../core/auth";
import type { ServerMessaging } from "../core/server-messaging";
import { SYSTEM_USER } from "../core/server-messaging";
import type { SocketFanout } from "../core/socket-fanout";
import { stateKeys } from "../core/tenant-keys";
import type { ConversationStore } from "../db/stores/conversations";
import type { PresenceStore } from "./presence/presence-store";
import type { TenantQuotas } from "./quotas";
import { MessagePublisher, toChatDelivery, toDelivery } from "./room-messages";
import type { KeyedState } from "./state/keyed-state";
import { acceptOnce, type KeyedSend } from "./keyed-once";

/** A live socket as `fetchSockets` reports it (any node, through the adapter). */
export interface LiveSocket {
  data: { principal?: { user: string; role: Role; tenant: string }; session?: { sessionId: string } };
}

/**
 * ServerMessaging on the realtime tier's own parts: MessagePublisher (sequence, bus, history), TenantQuotas,
 * the PresenceStore, the process's SocketFanout (every node) and KeyedState for idempotency keys. The
 * message reaches the room's sockets as `room:message` (a conversation's members as `chat:message`),
 * exactly the payload a socket sender's peers get.
 */
export class RealtimeServerMessaging implements ServerMessaging {
  constructor(
    private readonly deps: {
      publisher: MessagePublisher;
      quotas: TenantQuotas;
      presence: PresenceStore;
      fanout: SocketFanout;
      state: KeyedState;
      conversations: Pick<ConversationStore, "get" | "getForMember">;
      nodeId: string;
      /** The sockets of the cluster (Socket.IO fetchSockets through the adapter), when this process runs the realtime tier. */
      sockets?: () => Promise<LiveSocket[]>;
    },
  ) {}

  async publishRoom(tenant: string, input: { room: string; user: string; text: string; key?: string }): Promise<{ id: string; seq: number }> {
    const { publisher, quotas, presence, fanout } = this.deps;
    return this.once(tenant, input.user, input.key, {
      number: async (id) => {
        const recipients = await presence.roomMemberCount(tenant, input.room);
        await quotas.consumeMessage(tenant, Buffer.byteLength(input.text, "utf8"), recipients);
        return publisher.numberRoom({ tenant, user: input.user, role: "student", exp: 0 }, input.room, input.text, id);
      },
      publish: async (numbered) => {
        const event = await publisher.publishRoom(numbered);
        fanout.toRoom(tenant, input.room, "room:message", toDelivery(event));
        return { id: event.id, seq: event.data.seq };
      },
    });
  }

  async publishConversation(tenant: string, input: { conversationId: string; user: string; text: string; key?: string }): Promise<{ id: string; seq: number }> {
    const { publisher, quotas, fanout, conversations } = this.deps;
    const found = input.user === SYSTEM_USER ? await conversations.get(tenant, input.conversationId) : await conversations.getForMember(tenant, input.conversationId, input.user);
    if (!found) throw new AppError(ErrorCode.NotFound, `no conversation ${input.conversationId}${input.user === SYSTEM_USER ? "" : ` with member "${input.user}"`}`);
    return this.once(tenant, input.user, input.key, {
      number: async (id) => {
        await quotas.consumeMessage(tenant, Buffer.byteLength(input.text, "utf8"), found.members.length);
        return publisher.numberChat({ tenant, user: input.user, role: "student", exp: 0 }, input.conversationId, input.text, id);
      },
      publish: async (numbered) => {
        const event = await publisher.publishChat(numbered);
        fanout.toUsers(tenant, found.members, "chat:message", toChatDelivery(event));
        return { id: event.id, seq: event.data.seq };
      },
    });
  }

  async roomPresence(tenant: string, room: string): Promise<{ room: string; memberCount: number; members: Array<{ user: string; status: string }> }> {
    const { presence } = this.deps;
    const users = await presence.roomMembers(tenant, room);
    const statuses = await presence.statuses(tenant, users);
    return { room, memberCount: users.length, members: users.map((user) => ({ user, status: statuses[user] ?? "offline" })) };
  }

  async connections(tenant: string, limit: number): Promise<{ count: number; connections: Array<{ user: string; role: string; sessionId: string }> }> {
    const count = await this.deps.quotas.connectionCount(tenant);
    if (!this.deps.sockets) throw new AppError(ErrorCode.Unavailable, "this node does not run the realtime tier: ask a realtime node");
    const connections: Array<{ user: string; role: string; sessionId: string }> = [];
    for (const s of await this.deps.sockets()) {
      const p = s.data.principal;
      if (p?.tenant !== tenant) continue;
      connections.push({ user: p.user, role: p.role, sessionId: s.data.session?.sessionId ?? "" });
      if (connections.length >= limit) break;
    }
    return { count, connections };
  }

  /** Accepts a keyed message at most once per (tenant, user, key), like a socket's keyed send (realtime/handlers/idempotent.ts). */
  private async once<E, R>(tenant: string, user: string, key: string | undefined, send: KeyedSend<E, R>): Promise<R> {
    if (!key) return send.publish(await send.number(undefined));
    return acceptOnce({ state: this.deps.state, nodeId: this.deps.nodeId }, stateKeys.idempotency(tenant, `api:${user}`, key), send, key);
  }
}
