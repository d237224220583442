import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Env } from "hono";
import { validationError } from "../core/validation";

/** The error body of every failure (docs/PROTOCOL.md lists the codes). */
const errorSchema = z
  .object({ error: z.object({ code: z.number().int(), message: z.string(), temporary: z.literal(true).optional() }) })
  .openapi("Error");

const errorDescriptions: Record<number, string> = {
  400: "Invalid request (1001 payload, 1004 room name)",
  401: "Missing, invalid, expired or revoked token (2000–2002, 2006)",
  403: "The caller's role may not do this (2003)",
  404: "Not found (4000) or not visible to the caller",
  409: "Conflict with existing state (4002)",
  429: "Per-tenant rate limit (3000, temporary; Retry-After)",
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
