import { Hono } from "hono";

/** Named dependency checks; each resolves true when that dependency answers. */
export type HealthChecks = Record<string, () => Promise<boolean>>;

/** GET /health/live (the process serves) and GET /health/ready (every dependency answers; else 503). */
export function healthRoutes(checks: HealthChecks, isDraining: () => boolean = () => false): Hono {
  const app = new Hono();
  app.get("/health/live", (c) => c.json({ status: "ok" }));
  app.get("/health/ready", async (c) => {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => [name, await check().catch(() => false)] as const),
    );
    const results = Object.fromEntries(entries);
    const ok = !isDraining() && entries.every(([, up]) => up);
    return c.json({ status: ok ? "ok" : "unavailable", checks: results }, ok ? 200 : 503);
  });
  return app;
}
