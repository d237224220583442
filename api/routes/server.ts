import { createRoute, z } from "@hono/zod-openapi";
import { AppError, ErrorCode } from "../../core/errors";
import { newEvent, publishEvents } from "../../core/contracts/streams";
import { SYSTEM_USER } from "../../core/server-messaging";
import { storableJsonObject, storableText } from "../../core/storable";
import { roomNameSchema, userIdSchema } from "../../core/tenancy";
import { requireScope } from "../api-key-auth";
import type { V1App, V1Deps } from "../deps";
import { errors, guard, json, pageLimit } from "../openapi";

export const apiKeySecurity = [{ apiKey: [] }];

const messageBody = z
  .object({
    text: storableText().min(1),
    /** Whom the message is from: a user of the school, or `system` (default). */
    user: userIdSchema.default(SYSTEM_USER),
    /** Idempotency key: a repeated call with the same key (and user) gets the first answer, one message. */
    key: storableText().min(1).max(64).optional(),
  })
  .strict();
const published = json(z.object({ id: z.string(), seq: z.number().int() }).openapi("Published"), "Accepted: durable on the bus, numbered, sent to the sockets");
const notifyBody = z.union([
  z.object({ users: z.array(userIdSchema).min(1).max(10_000), title: storableText().min(1).max(200), body: storableText().max(4_000).default(""), data: storableJsonObject().optional() }).strict(),
  z.object({ feed: roomNameSchema, title: storableText().min(1).max(200), body: storableText().max(4_000).default(""), data: storableJsonObject().optional() }).strict(),
]);

function messaging(deps: V1Deps) {
  if (!deps.server) throw new AppError(ErrorCode.Unavailable, "the server API's messaging is not available on this node");
  return deps.server;
}

/**
 * The server API (docs/SERVER-API.md): calls of a school's backend with a scoped API key
 * (`Authorization: Bearer ilk_…` or `X-Api-Key`), acting for the key's school only.
 */
export function registerServerRoutes(app: V1App, deps: V1Deps): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/server/rooms/{room}/messages",
      tags: ["server api"],
      summary: "Publish into a room as the system or on behalf of a user (scope publish)",
      description: "The same path as a socket `room:message`: the room's next sequence number, history, the school's message quotas, and `room:message` to the room's sockets on every node.",
      security: apiKeySecurity,
      middleware: guard({ body: true }),
      request: { params: z.object({ room: roomNameSchema }), body: { required: true, content: { "application/json": { schema: messageBody } } } },
      responses: { 201: published, ...errors(400, 401, 403, 413, 429) },
    }),
    async (c) => {
      requireScope(c.get("apiKey"), "publish");
      const body = c.req.valid("json");
      return c.json(await messaging(deps).publishRoom(c.get("principal").tenant, { room: c.req.valid("param").room, user: body.user, text: body.text, key: body.key }), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/server/conversations/{id}/messages",
      tags: ["server api"],
      summary: "Publish into a conversation as the system or on behalf of a member (scope publish)",
      security: apiKeySecurity,
      middleware: guard({ body: true }),
      request: { params: z.object({ id: z.string().uuid() }), body: { required: true, content: { "application/json": { schema: messageBody } } } },
      responses: { 201: published, ...errors(400, 401, 403, 404, 413, 429) },
    }),
    async (c) => {
      requireScope(c.get("apiKey"), "publish");
      const body = c.req.valid("json");
      return c.json(await messaging(deps).publishConversation(c.get("principal").tenant, { conversationId: c.req.valid("param").id, user: body.user, text: body.text, key: body.key }), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/server/notifications",
      tags: ["server api"],
      summary: "Broadcast a notification to users or a feed's subscribers (scope notify)",
      security: apiKeySecurity,
      middleware: guard({ body: true }),
      request: { body: { required: true, content: { "application/json": { schema: notifyBody } } } },
      responses: { 202: json(z.object({ id: z.string(), recipients: z.number().int() }), "Accepted"), ...errors(400, 401, 403, 409, 413, 429) },
    }),
    async (c) => {
      requireScope(c.get("apiKey"), "notify");
      const { tenant } = c.get("principal");
      const body = c.req.valid("json");
      const feed = "feed" in body ? body.feed : undefined;
      const users = feed !== undefined ? await deps.stores.feeds.subscribers(tenant, feed) : [...new Set("users" in body ? body.users : [])];
      if (users.length === 0) throw new AppError(ErrorCode.Conflict, `feed "${feed}" has no subscribers`);
      const event = newEvent("notification.created", tenant, { users, feed, title: body.title, body: body.body, data: body.data });
      await publishEvents(deps.bus, "notifications", [event]);
      return c.json({ id: event.id, recipients: users.length }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/server/users/{user}/disconnect",
      tags: ["server api"],
      summary: "Disconnect every socket of a user, on every node (scope disconnect)",
      description: "Each socket is told `app:disconnect` with code 2003 and the reason, then disconnected. It does not keep the user out: to refuse their tokens, revoke them (POST /v1/tenants/{tenant}/users/{user}/revoke).",
      security: apiKeySecurity,
      request: { params: z.object({ user: userIdSchema }), body: { required: false, content: { "application/json": { schema: z.object({ reason: storableText().min(1).max(200).optional() }).strict() } } } },
      responses: { 202: json(z.object({ user: z.string() }), "Sent to every node"), ...errors(400, 401, 403, 429) },
    }),
    async (c) => {
      requireScope(c.get("apiKey"), "disconnect");
      const { tenant } = c.get("principal");
      const { user } = c.req.valid("param");
      const reason = (c.req.header("content-type") ?? "").includes("json") ? c.req.valid("json")?.reason : undefined;
      deps.fanout.disconnectUser(tenant, user, { code: ErrorCode.Forbidden, message: reason ?? "disconnected by the school's server" });
      return c.json({ user }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/server/rooms/{room}/presence",
      tags: ["server api"],
      summary: "Who is in a room now, with their status (scope presence:read)",
      security: apiKeySecurity,
      request: { params: z.object({ room: roomNameSchema }) },
      responses: {
        200: json(z.object({ room: z.string(), memberCount: z.number().int(), members: z.array(z.object({ user: z.string(), status: z.string() })) }), "The room's members"),
        ...errors(400, 401, 403, 429),
      },
    }),
    async (c) => {
      requireScope(c.get("apiKey"), "presence:read");
      return c.json(await messaging(deps).roomPresence(c.get("principal").tenant, c.req.valid("param").room), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/server/connections",
      tags: ["server api"],
      summary: "The school's live connections: how many, and up to `limit` of them (scope connections:read)",
      security: apiKeySecurity,
      request: { query: z.object({ limit: pageLimit(1_000, 100) }) },
      responses: {
        200: json(z.object({ count: z.number().int(), connections: z.array(z.object({ user: z.string(), role: z.string(), sessionId: z.string() })) }), "Live connections"),
        ...errors(400, 401, 403, 429),
      },
    }),
    async (c) => {
      requireScope(c.get("apiKey"), "connections:read");
      return c.json(await messaging(deps).connections(c.get("principal").tenant, c.req.valid("query").limit), 200);
    },
  );
}
