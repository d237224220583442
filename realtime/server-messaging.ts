import { AppError, ErrorCode } from "../core/errors";
import type { Role } from "../core/auth";
import type { ServerMessaging } from "../core/server-messaging";
import { SYSTEM_USER } from "../core/server-messaging";
import type { SocketFanout } from "../core/socket-fanout";
import { stableUuid } from "../core/stable-id";
import { stateKeys } from "../core/tenant-keys";
import type { ConversationStore } from "../db/stores/conversations";
import type { PresenceStore } from "./presence/presence-store";
import type { TenantQuotas } from "./quotas";
import { MessagePublisher, toChatDelivery, toDelivery } from "./room-messages";
import type { KeyedState } from "./state/keyed-state";

/** An open claim outlives the longest a publish may wait for Kafka (30 s); a completed one is kept 10 min (as sockets' keys). */
const PENDING_TTL = 40;
const DONE_TTL = 600;

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
    return this.once(tenant, input.user, input.key, async (id) => {
      const recipients = await presence.roomMemberCount(tenant, input.room);
      await quotas.consumeMessage(tenant, Buffer.byteLength(input.text, "utf8"), recipients);
      const event = await publisher.room({ tenant, user: input.user, role: "student", exp: 0 }, input.room, input.text, id);
      fanout.toRoom(tenant, input.room, "room:message", toDelivery(event));
      return { id: event.id, seq: event.data.seq };
    });
  }

  async publishConversation(tenant: string, input: { conversationId: string; user: string; text: string; key?: string }): Promise<{ id: string; seq: number }> {
    const { publisher, quotas, fanout, conversations } = this.deps;
    const found = input.user === SYSTEM_USER ? await conversations.get(tenant, input.conversationId) : await conversations.getForMember(tenant, input.conversationId, input.user);
    if (!found) throw new AppError(ErrorCode.NotFound, `no conversation ${input.conversationId}${input.user === SYSTEM_USER ? "" : ` with member "${input.user}"`}`);
    return this.once(tenant, input.user, input.key, async (id) => {
      await quotas.consumeMessage(tenant, Buffer.byteLength(input.text, "utf8"), found.members.length);
      const event = await publisher.chat({ tenant, user: input.user, role: "student", exp: 0 }, input.conversationId, input.text, id);
      fanout.toUsers(tenant, found.members, "chat:message", toChatDelivery(event));
      return { id: event.id, seq: event.data.seq };
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

  /** Runs `send` at most once per (tenant, user, key), like a socket's keyed send: a repeat gets the first result. */
  private async once<R>(tenant: string, user: string, key: string | undefined, send: (id: string | undefined) => Promise<R>): Promise<R> {
    if (!key) return send(undefined);
    const { state, nodeId } = this.deps;
    const k = stateKeys.idempotency(tenant, `api:${user}`, key);
    const claim = await state.claim(k, PENDING_TTL, nodeId);
    if (claim.state === "done") return JSON.parse(claim.result) as R;
    if (claim.state === "pending") throw new AppError(ErrorCode.InProgress, `message with key "${key}" is still being accepted; retry`);
    try {
      const result = await send(stableUuid(k));
      await state.complete(k, JSON.stringify(result), DONE_TTL);
      return result;
    } catch (err) {
      await state.release(k);
      throw err;
    }
  }
}
