import { createRoute, z } from "@hono/zod-openapi";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Registry } from "prom-client";
import { json } from "../openapi";

/** Named dependency checks; each resolves true when that dependency answers. */
export type HealthChecks = Record<string, () => Promise<boolean>>;

const healthSchema = z.object({ status: z.enum(["ok", "unavailable"]), checks: z.record(z.string(), z.boolean()) }).openapi("Health");

/** GET /health/live, GET /health/ready (every dependency answers; else 503) and GET /metrics (Prometheus). */
export function registerHealthRoutes(
  app: OpenAPIHono,
  deps: { checks: HealthChecks; isDraining?: () => boolean; registry: Registry; beforeScrape?: () => Promise<void> },
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
      responses: { 200: { description: "Prometheus text exposition", content: { "text/plain": { schema: z.string() } } } },
    }),
    async (c) => {
      await deps.beforeScrape?.().catch(() => undefined);
      return c.text(await deps.registry.metrics(), 200, { "content-type": deps.registry.contentType });
    },
  );
}
