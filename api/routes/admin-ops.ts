import { createRoute, z } from "@hono/zod-openapi";
import type { LetterSelection } from "../../core/bus/dead-letters";
import { AppError, ErrorCode, toAppError } from "../../core/errors";
import type { V1App, V1Deps } from "../deps";
import { bearerSecurity, errors, guard, json, pageLimit } from "../openapi";

/** Cluster-wide views: super_admin only (which schools a node serves is not a school's business). */
const OPERATORS = ["super_admin"] as const;
/** A letter's record text is cut to this many characters in a listing (`valueTruncated` says so). */
export const LETTER_VALUE_CHARS = 4_096;
const POSITION = /^\d{1,9}:\d{1,19}$/;

const nodeSchema = z
  .object({
    node: z.string(),
    status: z.enum(["up", "silent"]),
    reportedAt: z.string(),
    roles: z.array(z.string()),
    connections: z.number().int(),
    tenants: z.record(z.string(), z.number().int()),
    eventLoopLagMs: z.number(),
    eventLoopBusy: z.number(),
    rssBytes: z.number().int(),
    heapUsedBytes: z.number().int(),
    checks: z.record(z.string(), z.boolean()),
    draining: z.boolean(),
    overloaded: z.boolean(),
  })
  .openapi("NodeStatus");
const letterSchema = z
  .object({ position: z.string(), topic: z.string(), key: z.string(), reason: z.string(), at: z.string(), value: z.string(), valueTruncated: z.boolean() })
  .openapi("DeadLetter");
const replaySchema = z
  .union([
    z.object({ positions: z.array(z.string().regex(POSITION, "a position is partition:offset")).min(1).max(1_000) }).strict(),
    z.object({ all: z.literal(true), topic: z.string().min(1).max(200).optional() }).strict(),
  ])
  .openapi("DeadLetterReplay");

/** A dependency failure (Kafka unreachable, too slow) is 5001, temporary; a numbered error stays as it is. */
async function unavailableOnFailure<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const appError = toAppError(err);
    if (appError.code === ErrorCode.Internal || appError.code === ErrorCode.Timeout) throw new AppError(ErrorCode.Unavailable, "the dead-letter topic could not be read", { cause: err });
    throw appError;
  }
}

/** GET /v1/admin/nodes and the dead-letter topic (list, replay through the same code as `npm run dlq`). */
export function registerAdminOpsRoutes(app: V1App, deps: V1Deps): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/admin/nodes",
      tags: ["admin"],
      summary: "Every process's latest report: roles, readiness checks, connections, event-loop lag, memory (super_admin)",
      security: bearerSecurity,
      middleware: guard({ roles: OPERATORS }),
      responses: { 200: json(z.object({ at: z.string(), silentAfterMs: z.number().int(), nodes: z.array(nodeSchema) }), "By node id"), ...errors(401, 403, 429) },
    }),
    async (c) => {
      const now = Date.now();
      const nodes = (await deps.nodes.list()).map(({ at, ...report }) => ({
        ...report,
        status: now - at <= deps.nodes.silentAfterMs ? ("up" as const) : ("silent" as const),
        reportedAt: new Date(at).toISOString(),
      }));
      return c.json({ at: new Date(now).toISOString(), silentAfterMs: deps.nodes.silentAfterMs, nodes }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/admin/dead-letters",
      tags: ["admin"],
      summary: "The dead-letter topic: the newest `limit` letters, oldest first (super_admin)",
      security: bearerSecurity,
      middleware: guard({ roles: OPERATORS }),
      request: { query: z.object({ topic: z.string().min(1).max(200).optional(), limit: pageLimit(1_000, 200) }) },
      responses: { 200: json(z.object({ total: z.number().int(), letters: z.array(letterSchema) }), "Letters and how many the topic holds"), ...errors(400, 401, 403, 429, 503) },
    }),
    async (c) => {
      const { topic, limit } = c.req.valid("query");
      const all = (await unavailableOnFailure(() => deps.deadLetters.list())).filter((l) => !topic || l.letter.topic === topic);
      const letters = all.slice(-limit).map(({ at, letter }) => ({
        position: at,
        topic: letter.topic,
        key: letter.key,
        reason: letter.reason,
        at: letter.at,
        value: letter.value.slice(0, LETTER_VALUE_CHARS),
        valueTruncated: letter.value.length > LETTER_VALUE_CHARS,
      }));
      return c.json({ total: all.length, letters }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/admin/dead-letters/replay",
      tags: ["admin"],
      summary: "Publish letters' events to their own topics again, as `npm run dlq -- replay` does (super_admin)",
      security: bearerSecurity,
      middleware: guard({ roles: OPERATORS, body: true }),
      request: { body: { required: true, content: { "application/json": { schema: replaySchema } } } },
      responses: {
        200: json(z.object({ replayed: z.array(z.object({ position: z.string(), topic: z.string(), key: z.string() })) }), "What the bus now holds again"),
        ...errors(400, 401, 403, 404, 413, 429, 503),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const selection: LetterSelection = "positions" in body ? { positions: body.positions } : { all: true, topic: body.topic };
      const replayed = await unavailableOnFailure(() => deps.deadLetters.replay(selection));
      return c.json({ replayed: replayed.map(({ at, letter }) => ({ position: at, topic: letter.topic, key: letter.key })) }, 200);
    },
  );
}
