import type { AckOf, InboundEvent, Payload } from "../../core/events";
import type { SocketRate } from "../event-handler";
import type { MessagePublisher } from "../room-messages";
import type { ConversationLookup } from "../conversation-lookup";
import type { RecoveryReads } from "../recovery-reads";
import type { RoomLookup } from "../room-lookup";
import type { RealtimeServices } from "../services";
import type { RealtimeServer, RealtimeSocket } from "../types";
import { stateKeys } from "../../core/tenant-keys";

/** What each handler module gets for one socket. */
export interface HandlerContext {
  io: RealtimeServer;
  socket: RealtimeSocket;
  services: RealtimeServices;
  publisher: MessagePublisher;
  /** The node's shared room-registration lookup (realtime/room-lookup.ts). */
  rooms: RoomLookup;
  /** The node's shared conversation-membership lookup (realtime/conversation-lookup.ts). */
  conversations: ConversationLookup;
  /** The node's shared database reads of recoveries (realtime/recovery-reads.ts). */
  reads: RecoveryReads;
  rate: SocketRate;
  /** Registers a validated handler for an inbound event of this socket (realtime/event-handler.ts, EventDispatcher). */
  on<E extends InboundEvent>(event: E, handler: (payload: Payload<E>) => Promise<AckOf[E]>): void;
}

/** Emits a quota warning (80 %) to the socket, at most once per quota per 10 s. */
export function maybeWarn(ctx: Pick<HandlerContext, "socket" | "services">, use: { quota: string; used: number; limit: number; warn: boolean; graceUntil?: number }): void {
  if (!use.warn) return;
  const { tenant } = ctx.socket.data.principal;
  const over = use.graceUntil !== undefined ? ":grace" : "";
  void ctx.services.state.claim(stateKeys.quotaWarned(tenant, use.quota + over, ctx.socket.id), 10, ctx.services.nodeId).then((c) => {
    if (c.state === "claimed") {
      ctx.socket.emit("quota:warning", { quota: use.quota, used: use.used, limit: use.limit, ...(use.graceUntil !== undefined ? { graceUntil: new Date(use.graceUntil).toISOString() } : {}) });
    }
  });
}
