import { AppError, ErrorCode } from "../../core/errors";
import type { RoomMessageDelivery } from "../../core/events";
import { isStaff } from "../../core/roles";
import { recover, type Recovery } from "../recovery";
import { maybeWarn, type HandlerContext } from "./context";
import { announceLeft } from "./presence";
import { sendOnce } from "./idempotent";
import { socketRooms, orderingKeys, stateKeys } from "../../core/tenant-keys";


/** room:join (with recovery), room:leave, room:message (idempotent), room:typing, room:members. */
export function registerRoomHandlers(ctx: HandlerContext): void {
  const { socket, services, io } = ctx;
  const { presence, stores, quotas, state } = services;
  const roomLookup = ctx.rooms;
  const { on } = ctx;

  // Round trips run in parallel where they do not depend on each other (a reconnect storm's rejoins wait on
  // each one): the kick flag with the room lookup; after the socket joined, the presence update (then the
  // member count and list) with the recovery. The recovery must start after `socket.join`: a message
  // published after it reads the current seq is then delivered live (the client drops it if fetched too).
  on("room:join", async ({ room, since }) => {
    const p = socket.data.principal;
    const [kicked, registered] = await Promise.all([state.isFlagged(stateKeys.kicked(p.tenant, room, p.user)), roomLookup.get(p.tenant, room)]);
    if (kicked) throw new AppError(ErrorCode.Forbidden, `removed from "${room}" by a moderator`);
    if (registered?.private && !isStaff(p) && !(await stores.rooms.isMember(p.tenant, room, p.user))) {
      throw new AppError(ErrorCode.NotFound, `no room "${room}"`);
    }
    const target = socketRooms.room(p.tenant, room);
    await socket.join(target);
    const stream = orderingKeys.room(p.tenant, room);
    // with `since`: the recovery; without: the room's seq now, where the client follows it from (its rejoin's `since`)
    const found: Promise<{ seq: number } | Recovery<RoomMessageDelivery>> =
      since === undefined
        ? services.sequences.current(stream).then((seq) => ({ seq }))
        : recover<RoomMessageDelivery>(services, "room", stream, since, (after, limit) =>
            ctx.reads.read(stream, after, limit, async (a, l) => (await stores.messages.list(p.tenant, room, { afterSeq: a, limit: l })).map((m) => ({ room, id: m.id, seq: m.seq, user: m.user, text: m.text, sentAt: m.sentAt }))),
          );
    found.catch(() => undefined); // awaited below; not unhandled if the presence part fails first
    const { firstInRoom } = await presence.joinRoom(socket.data.session, room);
    // Large rooms (lectures, school-wide channels) skip per-join diffs and member lists: they grow as
    // n² with the room. Members then see `memberCount` and ask `room:members` when they need the list.
    const memberCount = await presence.roomMemberCount(p.tenant, room);
    const large = memberCount > services.options.roomPresenceLimit;
    if (firstInRoom && !large) socket.to(target).emit("room:member", { room, user: p.user, action: "joined" });
    const listed = large ? {} : { members: await presence.roomMembers(p.tenant, room) };
    const r = await found;
    if (!("recovered" in r)) return { room, memberCount, ...listed, seq: r.seq };
    return { room, memberCount, ...listed, seq: r.seq, recovered: r.recovered, messages: r.messages, ...(r.pending.length > 0 ? { pending: r.pending } : {}) };
  });

  on("room:leave", async ({ room }) => {
    const p = socket.data.principal;
    const target = socketRooms.room(p.tenant, room);
    await socket.leave(target);
    const { lastInRoom } = await presence.leaveRoom(socket.data.session, room);
    if (lastInRoom) await announceLeft(io, services, p.tenant, room, p.user);
    return { room };
  });

  on("room:message", async ({ room, text, key }) => {
    const p = socket.data.principal;
    const target = socketRooms.room(p.tenant, room);
    if (!socket.rooms.has(target)) throw new AppError(ErrorCode.NotInRoom, `join room "${room}" before sending to it`);
    const bytes = Buffer.byteLength(text, "utf8");
    // before any read: a node over capacity turns the message away for free (a refusal that paid a round trip was a fifth of a saturated node's Redis writes)
    ctx.publisher.admit();
    // one round trip for both reads (they are independent); the recipient count only feeds the quota
    const [muted, recipients] = await Promise.all([state.isFlagged(stateKeys.mute(p.tenant, room, p.user)), presence.roomMemberCount(p.tenant, room)]);
    if (muted) throw new AppError(ErrorCode.Muted, `muted in "${room}"`);
    return sendOnce(ctx, key, {
      number: async (id) => {
        maybeWarn(ctx, await quotas.consumeMessage(p.tenant, bytes, recipients));
        return ctx.publisher.numberRoom(p, room, text, id);
      },
      publish: async (numbered) => {
        // broadcast once durable, without waiting for the history write (MessagePublisher); the ack waits for it
        const event = await ctx.publisher.publishRoom(numbered, (delivery) => {
          socket.to(target).emit("room:message", delivery);
          services.metrics.realtimeEventsOut.inc({ event: "room:message" });
        });
        return { id: event.id, seq: event.data.seq };
      },
    });
  });

  on("room:typing", async ({ room }) => {
    const p = socket.data.principal;
    const target = socketRooms.room(p.tenant, room);
    if (!socket.rooms.has(target)) throw new AppError(ErrorCode.NotInRoom, `join room "${room}" first`);
    socket.volatile.to(target).emit("room:typing", { room, user: p.user });
    return {};
  });

  on("room:members", async ({ room }) => {
    const p = socket.data.principal;
    if (!socket.rooms.has(socketRooms.room(p.tenant, room))) throw new AppError(ErrorCode.NotInRoom, `join room "${room}" first`);
    const users = await presence.roomMembers(p.tenant, room);
    const statuses = await presence.statuses(p.tenant, users);
    return { room, members: users.map((user) => ({ user, status: statuses[user] ?? "offline" })) };
  });
}
