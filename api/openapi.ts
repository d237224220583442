import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Env, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { Role } from "../core/auth";
import { AppError, ErrorCode } from "../core/errors";
import { requireRole } from "../core/roles";
import { validationError } from "../core/validation";
import type { AuthEnv } from "./auth";

/** The error body of every failure (docs/PROTOCOL.md lists the codes). */
const errorSchema = z
  .object({ error: z.object({ code: z.number().int(), message: z.string(), temporary: z.literal(true).optional(), retryAfterMs: z.number().int().optional() }) })
  .openapi("Error");

const errorDescriptions: Record<number, string> = {
  400: "Invalid request (1001 payload, 1004 room name)",
  401: "Missing, invalid, expired or revoked token (2000–2002, 2006)",
  403: "The caller's role may not do this (2003), whatever the request's parameters and body",
  404: "Not found (4000) or not visible to the caller",
  409: "Conflict with existing state (4002)",
  413: "Request body over 256 KiB (1003)",
  416: "Range not satisfiable (1009): outside the object or malformed",
  429: "Per-tenant rate limit (3000, temporary; Retry-After)",
  503: "A dependency is unavailable (5001, temporary)",
};

/** Error responses for the given statuses, for route definitions. */
export function errors(...statuses: Array<keyof typeof errorDescriptions>) {
  return Object.fromEntries(statuses.map((s) => [s, { description: errorDescriptions[s] as string, content: { "application/json": { schema: errorSchema } } }]));
}

export function json<S extends z.ZodType>(schema: S, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** An OpenAPIHono whose validation failures become numbered errors (1004 for a room, else 1001). */
export function openApiApp<E extends Env>(): OpenAPIHono<E> {
  return new OpenAPIHono<E>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error);
    },
  });
}

export const bearerSecurity = [{ bearer: [] }];

/** Largest integer a query parameter takes (sequence numbers): the largest a JSON number holds exactly. */
export const MAX_QUERY_INTEGER = Number.MAX_SAFE_INTEGER;

/**
 * An integer query parameter within [min, max] (min ≥ 0), declared as such in the document: decimal digits
 * only, so an empty value, `1e3`, `0x10` or ` 5` are refused (1001) rather than read as numbers.
 */
export function queryInteger(min: number, max: number = MAX_QUERY_INTEGER) {
  return z
    .string()
    .regex(/^\d+$/, "must be a decimal integer")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .openapi({ type: "integer", minimum: min, maximum: max });
}

/** A sequence number to page after: 0 (the start) when absent. */
export function afterSequence() {
  return queryInteger(0).default(0).openapi({ type: "integer", minimum: 0, maximum: MAX_QUERY_INTEGER, default: 0 });
}

/** A page size query parameter: 1..max, `dflt` when absent. */
export function pageLimit(max: number, dflt: number) {
  return queryInteger(1, max).default(dflt).openapi({ type: "integer", minimum: 1, maximum: max, default: dflt });
}

/** A JSON body's content type: `application/json` or `application/<x>+json`. */
const JSON_CONTENT_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/**
 * Route middleware (createRoute's `middleware`), run before any of the route's validators:
 * - `roles`: the caller's role must be one of them (2003, 403), so a caller without the role learns
 *   nothing about what a valid request looks like, and is answered alike whatever it sent;
 * - `body`: the route requires a JSON body; a request without a JSON content type is 1001 (400) instead
 *   of being validated as an empty object.
 */
export function guard(options: { roles?: readonly Role[]; body?: boolean }): MiddlewareHandler[] {
  const handlers: MiddlewareHandler[] = [];
  const { roles } = options;
  if (roles) {
    handlers.push(
      createMiddleware<AuthEnv>(async (c, next) => {
        requireRole(c.get("principal"), roles);
        await next();
      }),
    );
  }
  if (options.body) {
    handlers.push(
      createMiddleware(async (c, next) => {
        if (!JSON_CONTENT_TYPE.test(c.req.header("content-type") ?? "")) throw new AppError(ErrorCode.InvalidPayload, "payload: a JSON body (Content-Type: application/json) is required");
        await next();
      }),
    );
  }
  return handlers;
}
