import { createRoute, z } from "@hono/zod-openapi";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Registry } from "prom-client";
import { timingSafeEqual } from "node:crypto";
import { AppError, ErrorCode } from "../../core/errors";
import { errors, json } from "../openapi";

/** Named dependency checks; each resolves true when that dependency answers. */
export type HealthChecks = Record<string, () => Promise<boolean>>;

const healthSchema = z.object({ status: z.enum(["ok", "unavailable"]), checks: z.record(z.string(), z.boolean()) }).openapi("Health");

/** Drops every sample line carrying a `tenant` label: which schools a node serves is not public. */
function withoutTenantSeries(exposition: string): string {
  return exposition
    .split("\n")
    .filter((line) => line.startsWith("#") || !/[{,]tenant="/.test(line))
    .join("\n");
}

/** True when `header` is `Bearer <token>` (compared in constant time). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1] ?? "");
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/**
 * GET /health/live, GET /health/ready (every dependency answers; else 503) and GET /metrics (Prometheus:
 * with `metricsToken`, everything for its bearer and 401 for others; without, no tenant-labelled series).
 */
export function registerHealthRoutes(
  app: OpenAPIHono,
  deps: { checks: HealthChecks; isDraining?: () => boolean; registry: Registry; beforeScrape?: () => Promise<void>; metricsToken?: string },
): void {
  app.openapi(
    createRoute({ method: "get", path: "/health/live", tags: ["health"], responses: { 200: json(z.object({ status: z.literal("ok") }), "The process serves") } }),
    (c) => c.json({ status: "ok" as const }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/health/ready",
      tags: ["health"],
      responses: { 200: json(healthSchema, "Every dependency answers"), 503: json(healthSchema, "A dependency does not answer, or the node drains") },
    }),
    async (c) => {
      const entries = await Promise.all(Object.entries(deps.checks).map(async ([name, check]) => [name, await check().catch(() => false)] as const));
      const ok = !(deps.isDraining?.() ?? false) && entries.every(([, up]) => up);
      const body = { status: ok ? ("ok" as const) : ("unavailable" as const), checks: Object.fromEntries(entries) };
      return ok ? c.json(body, 200) : c.json(body, 503);
    },
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/metrics",
      tags: ["health"],
      responses: {
        200: { description: "Prometheus text exposition (series labelled by tenant only for the METRICS_TOKEN bearer)", content: { "text/plain": { schema: z.string() } } },
        ...errors(401),
      },
    }),
    async (c) => {
      if (deps.metricsToken && !bearerMatches(c.req.header("authorization"), deps.metricsToken)) {
        throw new AppError(ErrorCode.Unauthorized, "GET /metrics needs Authorization: Bearer <METRICS_TOKEN>");
      }
      await deps.beforeScrape?.().catch(() => undefined);
      const exposition = await deps.registry.metrics();
      return c.text(deps.metricsToken ? exposition : withoutTenantSeries(exposition), 200, { "content-type": deps.registry.contentType });
    },
  );
}
