import { newEvent, publishEvents } from "../../core/contracts/streams";
import { AppError, ErrorCode } from "../../core/errors";
import { STAFF, requireRole } from "../../core/roles";
import type { RealtimeServices } from "../services";
import type { RealtimeServer } from "../types";
import { announceLeft } from "./presence";
import type { HandlerContext } from "./context";
import { socketRooms, stateKeys } from "../../core/tenant-keys";

const KICK_SECONDS = 600;

/** Makes this node's sockets of a user leave a room (run on every node for a kick). */
export async function applyKick(io: RealtimeServer, info: { tenant: string; room: string; user: string; by: string }, services: RealtimeServices): Promise<void> {
  const target = socketRooms.room(info.tenant, info.room);
  const sockets = await io.local.in(socketRooms.user(info.tenant, info.user)).fetchSockets();
  let left = false;
  for (const s of sockets) {
    if (!s.rooms.has(target)) continue;
    s.leave(target);
    s.emit("room:kicked", { room: info.room, by: info.by });
    left = (await services.presence.leaveRoom(s.data.session, info.room)).lastInRoom || left;
  }
  if (left) await announceLeft(io, services, info.tenant, info.room, info.user);
}

/** The caller's principal when staff, else 2003 (a module function: nothing allocated per socket). */
function staffOf(socket: HandlerContext["socket"]) {
  requireRole(socket.data.principal, STAFF);
  return socket.data.principal;
}

/** Teacher and admin moderation: room:mute, room:unmute, room:kick, room:delete. */
export function registerModerationHandlers(ctx: HandlerContext): void {
  const { socket, services, io } = ctx;
  const { state } = services;
  const { on } = ctx;

  on("room:mute", async ({ room, user, seconds }) => {
    const p = staffOf(socket);
    await state.flag(stateKeys.mute(p.tenant, room, user), seconds);
    const until = new Date(Date.now() + seconds * 1000).toISOString();
    io.to(socketRooms.user(p.tenant, user)).emit("room:muted", { room, until });
    return { room, user, until };
  });

  on("room:unmute", async ({ room, user }) => {
    const p = staffOf(socket);
    await state.release(stateKeys.mute(p.tenant, room, user));
    return { room, user };
  });

  on("room:kick", async ({ room, user }) => {
    const p = staffOf(socket);
    if (user === p.user) throw new AppError(ErrorCode.InvalidPayload, "user: cannot kick yourself");
    await state.flag(stateKeys.kicked(p.tenant, room, user), KICK_SECONDS);
    await services.stores.rooms.removeMember(p.tenant, room, user);
    const info = { tenant: p.tenant, room, user, by: p.user };
    io.serverSideEmit("kick", info);
    await applyKick(io, info, services);
    return { room, user };
  });

  on("room:delete", async ({ room, id }) => {
    const p = staffOf(socket);
    await publishEvents(services.bus, "roomMessages", [newEvent("room.message.deleted", p.tenant, { room, messageId: id, by: p.user })]);
    io.to(socketRooms.room(p.tenant, room)).emit("room:deleted", { room, id, by: p.user });
    return { room, id };
  });
}
