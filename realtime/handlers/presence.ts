import type { PresenceStatus } from "../../core/events";
import type { RealtimeServices } from "../services";
import type { RealtimeServer } from "../types";
import type { HandlerContext } from "./context";
import { socketRooms } from "../../core/tenant-keys";
import { AppError, ErrorCode } from "../../core/errors";
import { MAX_PRESENCE_SUBSCRIPTIONS } from "../../core/limits";

/** The Socket.IO room of those watching a user's presence. */

/** Tells a user's watchers (on every node) about a status change. */
export function announcePresence(io: RealtimeServer, tenant: string, user: string, status: PresenceStatus): void {
  io.to(socketRooms.presence(tenant, user)).emit("presence", { user, status });
}

/**
 * Tells a room that a user's last connection left it, unless the room is large (past
 * `roomPresenceLimit`): large rooms get no member diffs either way (n² with the room).
 */
export async function announceLeft(io: RealtimeServer, services: RealtimeServices, tenant: string, room: string, user: string): Promise<void> {
  if ((await services.presence.roomMemberCount(tenant, room)) >= services.options.roomPresenceLimit) return;
  io.to(socketRooms.room(tenant, room)).emit("room:member", { room, user, action: "left" });
}

/** presence:set, presence:query, presence:subscribe, presence:unsubscribe — within the caller's tenant. */
export function registerPresenceHandlers(ctx: HandlerContext): void {
  const { socket, services, io } = ctx;
  const { on } = ctx;

  on("presence:set", async ({ status }) => {
    const p = socket.data.principal;
    const { before, after } = await services.presence.setStatus(socket.data.session, status);
    if (before !== after) announcePresence(io, p.tenant, p.user, after);
    return { status: after };
  });

  on("presence:query", async ({ users }) => ({ statuses: await services.presence.statuses(socket.data.principal.tenant, users) }));

  on("presence:subscribe", async ({ users }) => {
    const { tenant } = socket.data.principal;
    const rooms = users.map((u) => socketRooms.presence(tenant, u));
    const prefix = socketRooms.presence(tenant, "");
    let watching = 0;
    for (const r of socket.rooms) if (r.startsWith(prefix)) watching++;
    const adding = new Set(rooms.filter((r) => !socket.rooms.has(r))).size;
    if (watching + adding > MAX_PRESENCE_SUBSCRIPTIONS) {
      throw new AppError(ErrorCode.TooManySubscriptions, `a connection may watch at most ${MAX_PRESENCE_SUBSCRIPTIONS} users (${watching} now, ${adding} more asked)`);
    }
    await socket.join(rooms);
    return { statuses: await services.presence.statuses(tenant, users) };
  });

  on("presence:unsubscribe", async ({ users }) => {
    const { tenant } = socket.data.principal;
    for (const u of users) await socket.leave(socketRooms.presence(tenant, u));
    return { users };
  });
}
