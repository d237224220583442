import { createRoute, z } from "@hono/zod-openapi";
import { roomNameSchema } from "../../core/tenancy";
import { STAFF } from "../../core/roles";
import type { Stores, V1App } from "../deps";
import { bearerSecurity, errors, guard, json } from "../openapi";
import { storableText } from "../../core/storable";

const feedSchema = z.object({ feed: z.string(), kind: z.enum(["announcements", "course"]), title: z.string(), subscribed: z.boolean() }).openapi("Feed");
const feedParam = z.object({ feed: roomNameSchema });

/** Feeds are readable by everyone of the school; staff create them; users subscribe themselves. */
export function registerFeedRoutes(app: V1App, stores: Stores): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/feeds",
      tags: ["feeds"],
      security: bearerSecurity,
      responses: { 200: json(z.object({ feeds: z.array(feedSchema) }), "The school's feeds"), ...errors(401, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      return c.json({ feeds: await stores.feeds.list(p.tenant, p.user) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/feeds",
      tags: ["feeds"],
      summary: "Create a feed (staff)",
      security: bearerSecurity,
      middleware: guard({ roles: STAFF, body: true }),
      request: {
        body: {
          required: true,
          content: { "application/json": { schema: z.object({ feed: roomNameSchema, kind: z.enum(["announcements", "course"]), title: storableText().min(1).max(200) }).strict() } },
        },
      },
      responses: { 201: json(feedSchema, "Created"), ...errors(400, 401, 403, 409, 413, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      return c.json(await stores.feeds.create(p.tenant, c.req.valid("json")), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/feeds/{feed}/subscription",
      tags: ["feeds"],
      summary: "Subscribe the caller",
      security: bearerSecurity,
      request: { params: feedParam },
      responses: { 204: { description: "Subscribed" }, ...errors(400, 401, 404, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      await stores.feeds.subscribe(p.tenant, c.req.valid("param").feed, p.user);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/feeds/{feed}/subscription",
      tags: ["feeds"],
      summary: "Unsubscribe the caller",
      security: bearerSecurity,
      request: { params: feedParam },
      responses: { 204: { description: "Unsubscribed (or was not)" }, ...errors(400, 401, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      await stores.feeds.unsubscribe(p.tenant, c.req.valid("param").feed, p.user);
      return c.body(null, 204);
    },
  );
}
