import { createRoute, z } from "@hono/zod-openapi";
import { AppError, ErrorCode } from "../../core/errors";
import { LOCAL_TIME_PATTERN, defaultPreferences, isTimeZone, type NotificationPreferences } from "../../core/notification-preferences";
import { storableText } from "../../core/storable";
import { roomNameSchema } from "../../core/tenancy";
import type { Stores, V1App } from "../deps";
import { bearerSecurity, errors, guard, json } from "../openapi";

const flags = z.object({ inApp: z.boolean(), email: z.boolean(), push: z.boolean(), webhook: z.boolean() }).strict();
const partialFlags = flags.partial().strict();
const localTime = z.string().regex(LOCAL_TIME_PATTERN, "a local time HH:MM or HH:MM:SS");
/** IANA zone names: letters, digits, `_ + - /`; which exist is the runtime's time zone database (refined). */
const TIME_ZONE_PATTERN = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/;

/** The stored document, as GET answers it (every field present). */
const preferencesSchema = z
  .object({
    channels: flags,
    feeds: z.record(z.string(), partialFlags),
    kinds: z.object({ announcements: partialFlags.optional(), course: partialFlags.optional() }),
    direct: partialFlags,
    whenOnline: z.enum(["in_app", "all"]),
    email: z.string().nullable(),
    timeZone: z.string(),
    quietHours: z.object({ start: z.string(), end: z.string() }).nullable(),
  })
  .openapi("NotificationPreferences");

/** What PUT takes: the whole document; an absent field takes its default. */
const putSchema = z
  .object({
    channels: partialFlags.optional(),
    feeds: z
      .record(roomNameSchema, partialFlags)
      .refine((r) => Object.keys(r).length <= 500, "at most 500 feeds")
      .optional(),
    kinds: z.object({ announcements: partialFlags.optional(), course: partialFlags.optional() }).strict().optional(),
    direct: partialFlags.optional(),
    whenOnline: z.enum(["in_app", "all"]).optional(),
    email: z.email().max(254).nullable().optional(),
    timeZone: z.string().max(64).regex(TIME_ZONE_PATTERN, "an IANA time zone, e.g. Europe/Paris").refine(isTimeZone, "an IANA time zone, e.g. Europe/Paris").optional(),
    quietHours: z.object({ start: localTime, end: localTime }).strict().nullable().optional(),
  })
  .strict()
  .openapi("NotificationPreferencesInput");

/** RFC 8291 keys, unpadded base64url: an uncompressed P-256 point (65 bytes, first 0x04 → "B" then A–P) and a 16-byte auth secret. */
const P256DH_PATTERN = /^B[A-P][A-Za-z0-9_-]{85}$/;
const AUTH_PATTERN = /^[A-Za-z0-9_-]{22}$/;

const pushSubscriptionSchema = z
  .object({
    endpoint: z
      .string()
      .max(2_048)
      .regex(/^https:\/\/[!-~]+$/, "endpoint: an https URL of a push service (printable ASCII)")
      .refine((s) => URL.canParse(s) && new URL(s).protocol === "https:", "endpoint: an https URL of a push service"),
    keys: z
      .object({
        p256dh: z.string().regex(P256DH_PATTERN, "keys.p256dh: an uncompressed P-256 point, base64url (87 characters)"),
        auth: z.string().regex(AUTH_PATTERN, "keys.auth: 16 bytes, base64url (22 characters)"),
      })
      .strict(),
  })
  .strict()
  .openapi("PushSubscription");

function toStored(body: z.infer<typeof putSchema>): NotificationPreferences {
  const d = defaultPreferences();
  return {
    channels: { ...d.channels, ...(body.channels ?? {}) },
    feeds: body.feeds ?? {},
    kinds: body.kinds ?? {},
    direct: body.direct ?? {},
    whenOnline: body.whenOnline ?? d.whenOnline,
    email: body.email ?? null,
    timeZone: body.timeZone ?? d.timeZone,
    quietHours: body.quietHours ?? null,
  };
}

/** The caller's notification preferences and push subscriptions (each user their own, in their tenant). */
export function registerNotificationPreferenceRoutes(app: V1App, deps: { stores: Stores }): void {
  const store = deps.stores.notificationPreferences;
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/notifications/preferences",
      tags: ["notifications"],
      summary: "The caller's notification preferences (defaults when never set)",
      security: bearerSecurity,
      responses: { 200: json(preferencesSchema, "Preferences"), ...errors(401, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      return c.json(await store.get(p.tenant, p.user), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/notifications/preferences",
      tags: ["notifications"],
      summary: "Replace the caller's notification preferences",
      description: "Channels per feed, per feed kind and for direct notifications, email address, time zone and quiet hours. An absent field takes its default (in-app on, email/push/webhook off, UTC, no quiet hours).",
      security: bearerSecurity,
      middleware: guard({ body: true }),
      request: { body: { required: true, content: { "application/json": { schema: putSchema } } } },
      responses: { 200: json(preferencesSchema, "Stored"), ...errors(400, 401, 413, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      return c.json(await store.put(p.tenant, p.user, toStored(c.req.valid("json"))), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/notifications/push-subscriptions",
      tags: ["notifications"],
      summary: "Register a web push subscription of the caller's browser",
      description: "The browser's PushSubscription JSON (endpoint + keys). Registering the same endpoint again refreshes its keys.",
      security: bearerSecurity,
      middleware: guard({ body: true }),
      request: { body: { required: true, content: { "application/json": { schema: pushSubscriptionSchema } } } },
      responses: { 201: json(z.object({ endpoint: z.string() }), "Registered"), ...errors(400, 401, 413, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const body = c.req.valid("json");
      await store.addPushSubscription(p.tenant, p.user, { endpoint: body.endpoint, p256dh: body.keys.p256dh, auth: body.keys.auth });
      return c.json({ endpoint: body.endpoint }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/notifications/push-subscriptions",
      tags: ["notifications"],
      summary: "Remove a push subscription of the caller",
      security: bearerSecurity,
      middleware: guard({ body: true }),
      request: { body: { required: true, content: { "application/json": { schema: z.object({ endpoint: storableText().max(2_048) }).strict() } } } },
      responses: { 200: json(z.object({ removed: z.literal(true) }), "Removed"), ...errors(400, 401, 404, 413, 429) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { endpoint } = c.req.valid("json");
      if (!(await store.removePushSubscription(p.tenant, p.user, endpoint))) throw new AppError(ErrorCode.NotFound, "no such push subscription");
      return c.json({ removed: true as const }, 200);
    },
  );
}
