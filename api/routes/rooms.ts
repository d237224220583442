import { createRoute, z } from "@hono/zod-openapi";
import type { Principal } from "../../core/auth";
import { AppError, ErrorCode } from "../../core/errors";
import { roomNameSchema, userIdSchema } from "../../core/tenancy";
import { STAFF, isStaff, requireRole } from "../../core/roles";
import type { Stores, V1App } from "../deps";
import { bearerSecurity, errors, guard, json, pageLimit, queryInteger, afterSequence } from "../openapi";
import { storableText } from "../../core/storable";

const roomSchema = z.object({ room: z.string(), title: z.string(), private: z.boolean(), createdBy: z.string(), createdAt: z.string() }).openapi("Room");
const messageSchema = z
  .object({ id: z.string(), seq: z.number().int(), user: z.string(), text: z.string(), sentAt: z.string(), editedAt: z.string().nullable(), deleted: z.boolean() })
  .openapi("RoomMessage");
const roomParam = z.object({ room: roomNameSchema });
const memberParam = z.object({ room: roomNameSchema, user: userIdSchema });

/** A private room is visible to its members and staff; an unregistered or public room to the whole tenant. */
async function assertRoomVisible(stores: Stores, p: Principal, room: string): Promise<void> {
  const found = await stores.rooms.get(p.tenant, room);
  if (!found?.private || isStaff(p)) return;
  if (!(await stores.rooms.isMember(p.tenant, room, p.user))) throw new AppError(ErrorCode.NotFound, `no room "${room}"`);
}

export function registerRoomRoutes(app: V1App, stores: Stores): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/rooms",
      tags: ["rooms"],
      summary: "Rooms the caller may see, by name",
      security: bearerSecurity,
      request: { query: z.object({ after: roomNameSchema.optional(), limit: pageLimit(200, 50) }) },
      responses: { 200: json(z.object({ rooms: z.array(roomSchema), nextAfter: z.string().nullable() }), "A page of rooms"), ...errors(400, 401, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { after, limit } = c.req.valid("query");
      const rooms = await stores.rooms.list(p.tenant, p.user, { staff: isStaff(p), after, limit });
      return c.json({ rooms, nextAfter: rooms.length === limit ? (rooms[rooms.length - 1]?.room ?? null) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/rooms",
      tags: ["rooms"],
      summary: "Create a room (staff)",
      security: bearerSecurity,
      middleware: guard({ roles: STAFF, body: true }),
      request: { body: { required: true, content: { "application/json": { schema: z.object({ room: roomNameSchema, title: storableText().min(1).max(200), private: z.boolean().default(false) }).strict() } } } },
      responses: { 201: json(roomSchema, "Created; the creator is its first member"), ...errors(400, 401, 403, 409, 413, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const body = c.req.valid("json");
      return c.json(await stores.rooms.create(p.tenant, { ...body, createdBy: p.user }), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/rooms/{room}",
      tags: ["rooms"],
      security: bearerSecurity,
      request: { params: roomParam },
      responses: { 200: json(roomSchema, "The room"), ...errors(400, 401, 404, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { room } = c.req.valid("param");
      await assertRoomVisible(stores, p, room);
      const found = await stores.rooms.get(p.tenant, room);
      if (!found) throw new AppError(ErrorCode.NotFound, `no room "${room}"`);
      return c.json(found, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/rooms/{room}/members",
      tags: ["rooms"],
      security: bearerSecurity,
      request: { params: roomParam, query: z.object({ after: userIdSchema.optional(), limit: pageLimit(500, 100) }) },
      responses: {
        200: json(z.object({ members: z.array(z.object({ user: z.string(), joinedAt: z.string() })), nextAfter: z.string().nullable() }), "A page of members by user id"),
        ...errors(400, 401, 404, 429),
      },
    }),
    async (c) => {
      const p = c.get("principal");
      const { room } = c.req.valid("param");
      const { after, limit } = c.req.valid("query");
      await assertRoomVisible(stores, p, room);
      const members = await stores.rooms.members(p.tenant, room, { after, limit });
      return c.json({ members, nextAfter: members.length === limit ? (members[members.length - 1]?.user ?? null) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/rooms/{room}/members/{user}",
      tags: ["rooms"],
      summary: "Add a member (staff)",
      security: bearerSecurity,
      middleware: guard({ roles: STAFF }),
      request: { params: memberParam },
      responses: { 204: { description: "Added (or already a member)" }, ...errors(400, 401, 403, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { room, user } = c.req.valid("param");
      await stores.rooms.addMember(p.tenant, room, user);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/rooms/{room}/members/{user}",
      tags: ["rooms"],
      summary: "Remove a member (staff, or the member themself)",
      security: bearerSecurity,
      request: { params: memberParam },
      responses: { 204: { description: "Removed" }, ...errors(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { room, user } = c.req.valid("param");
      if (user !== p.user) requireRole(p, STAFF);
      if (!(await stores.rooms.removeMember(p.tenant, room, user))) throw new AppError(ErrorCode.NotFound, `${user} is not a member of "${room}"`);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/rooms/{room}/messages",
      tags: ["rooms"],
      summary: "Room history by sequence (after < seq < before)",
      security: bearerSecurity,
      request: {
        params: roomParam,
        query: z.object({ after: afterSequence(), before: queryInteger(1).optional(), limit: pageLimit(500, 100) }),
      },
      responses: {
        200: json(z.object({ room: z.string(), messages: z.array(messageSchema), nextAfter: z.number().int().nullable() }), "A page of messages, ascending"),
        ...errors(400, 401, 404, 429),
      },
    }),
    async (c) => {
      const p = c.get("principal");
      const { room } = c.req.valid("param");
      const { after, before, limit } = c.req.valid("query");
      await assertRoomVisible(stores, p, room);
      const messages = await stores.messages.list(p.tenant, room, { afterSeq: after, beforeSeq: before, limit });
      const last = messages[messages.length - 1];
      return c.json({ room, messages, nextAfter: messages.length === limit && last ? last.seq : null }, 200);
    },
  );
}
