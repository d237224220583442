import { createRoute, z } from "@hono/zod-openapi";
import type { EventBus } from "../../core/bus/event-bus";
import { newEvent, publishEvents } from "../../core/contracts/streams";
import { AppError, ErrorCode } from "../../core/errors";
import { roomNameSchema, userIdSchema } from "../../core/tenancy";
import { STAFF } from "../../core/roles";
import type { Stores, V1App } from "../deps";
import { bearerSecurity, errors, guard, json, pageLimit } from "../openapi";
import { storableDateTime, storableJsonObject, storableText } from "../../core/storable";

const notificationSchema = z
  .object({
    id: z.string(),
    feed: z.string().nullable(),
    title: z.string(),
    body: z.string(),
    data: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.string(),
    readAt: z.string().nullable(),
  })
  .openapi("Notification");
const publishFields = {
  title: storableText().min(1).max(200),
  body: storableText().max(4_000).default(""),
  data: storableJsonObject().optional(),
};
/** Exactly one of `users` or `feed`: one strict object each, so the document states it as a `anyOf` of the two. */
const publishSchema = z.union([
  z.object({ users: z.array(userIdSchema).min(1).max(10_000), ...publishFields }).strict().openapi("NotificationToUsers"),
  z.object({ feed: roomNameSchema, ...publishFields }).strict().openapi("NotificationToFeed"),
], {
  error: (issue) => {
    const input = issue.input;
    if (issue.code !== "invalid_union" || typeof input !== "object" || input === null) return undefined;
    const given = ["users" in input, "feed" in input].filter(Boolean).length;
    return given === 1 ? undefined : "give exactly one of users or feed";
  },
});

export function registerNotificationRoutes(app: V1App, deps: { stores: Stores; bus: EventBus }): void {
  const { stores, bus } = deps;
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/notifications",
      tags: ["notifications"],
      summary: "The caller's notifications, newest first, with the unread count",
      security: bearerSecurity,
      request: {
        query: z.object({
          unread: z.enum(["true", "false"]).default("false"),
          before: storableDateTime().optional(),
          limit: pageLimit(200, 50),
        }),
      },
      responses: {
        200: json(z.object({ notifications: z.array(notificationSchema), unread: z.number().int(), nextBefore: z.string().nullable() }), "A page"),
        ...errors(400, 401, 429),
      },
    }),
    async (c) => {
      const p = c.get("principal");
      const q = c.req.valid("query");
      const { items, unread } = await stores.notifications.list(p.tenant, p.user, {
        unreadOnly: q.unread === "true",
        before: q.before ? new Date(q.before) : undefined,
        limit: q.limit,
      });
      return c.json({ notifications: items, unread, nextBefore: items.length === q.limit ? (items[items.length - 1]?.createdAt ?? null) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/notifications/read",
      tags: ["notifications"],
      summary: "Mark notifications read: the given ids, or all",
      security: bearerSecurity,
      middleware: guard({ body: true }),
      request: {
        body: {
          required: true,
          content: { "application/json": { schema: z.union([z.object({ ids: z.array(z.string().uuid()).min(1).max(500) }).strict(), z.object({ all: z.literal(true) }).strict()]) } },
        },
      },
      responses: { 200: json(z.object({ marked: z.number().int() }), "How many changed"), ...errors(400, 401, 413, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const body = c.req.valid("json");
      return c.json({ marked: await stores.notifications.markRead(p.tenant, p.user, "ids" in body ? body.ids : undefined) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/notifications",
      tags: ["notifications"],
      summary: "Publish a notification to users or to a feed's subscribers (staff)",
      description: "Accepted once the event is durable on the bus; a worker stores it per recipient and pushes `notification` to their sockets. Feed subscribers who turned the feed off in their preferences are not recipients (`recipients: 0` and nothing published when that is all of them).",
      security: bearerSecurity,
      middleware: guard({ roles: STAFF, body: true }),
      request: { body: { required: true, content: { "application/json": { schema: publishSchema } } } },
      responses: { 202: json(z.object({ id: z.string(), recipients: z.number().int() }), "Accepted"), ...errors(400, 401, 403, 404, 409, 413, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const body = c.req.valid("json");
      const feed = "feed" in body ? body.feed : undefined;
      const subscribers = feed !== undefined ? await stores.feeds.subscribers(p.tenant, feed) : [...new Set("users" in body ? body.users : [])];
      if (subscribers.length === 0) throw new AppError(ErrorCode.Conflict, `feed "${feed}" has no subscribers`);
      // a subscriber who turned the feed off (every channel) gets nothing from it: not stored, pushed, mailed or sent to webhooks
      const off = feed !== undefined ? await stores.notificationPreferences.feedTurnedOff(p.tenant, subscribers, feed) : new Set<string>();
      const users = off.size === 0 ? subscribers : subscribers.filter((u) => !off.has(u));
      const event = newEvent("notification.created", p.tenant, { users, feed, title: body.title, body: body.body, data: body.data });
      if (users.length === 0) return c.json({ id: event.id, recipients: 0 }, 202);
      await publishEvents(bus, "notifications", [event]);
      return c.json({ id: event.id, recipients: users.length }, 202);
    },
  );
}
