import { Counter, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { TokenService } from "../core/auth";
import { authDefaults } from "../core/config";
import { ErrorCode } from "../core/errors";
import { MAX_REST_BODY_BYTES } from "../core/limits";
import { createApi } from "./create-api";

const tokens = new TokenService({ ...authDefaults, secret: "unit-test-secret-of-at-least-32-bytes" });
const post = (body: unknown, devTokens = true) =>
  createApi({ tokens, devTokens, health: {}, registry: new Registry() }).request("/v1/dev/tokens", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("POST /v1/dev/tokens", () => {
  it("mints a token that verifies with the given claims", async () => {
    const res = await post({ tenant: "school-a", user: "alice", role: "teacher" });
    expect(res.status).toBe(201);
    const { token } = (await res.json()) as { token: string };
    expect(await tokens.verify(token)).toMatchObject({ tenant: "school-a", user: "alice", role: "teacher" });
  });

  it("answers 404 when dev tokens are off", async () => {
    const res = await post({ tenant: "school-a", user: "alice", role: "teacher" }, false);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: ErrorCode.NotFoundRoute } });
  });

  it("refuses a body over MAX_REST_BODY_BYTES with 413 / 1003 before reading it as JSON", async () => {
    const res = await post(JSON.stringify({ tenant: "school-a", user: "alice", role: "teacher", pad: "x".repeat(MAX_REST_BODY_BYTES) }));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: ErrorCode.PayloadTooLarge } });
  });

  it("refuses bad bodies with numbered errors", async () => {
    for (const body of ["{not json", { tenant: "School A", user: "a", role: "student" }, { tenant: "a", user: "a", role: "god" }, {}]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: number } }).error.code).toBe(ErrorCode.InvalidPayload);
    }
  });
});

describe("GET /health/ready", () => {
  it("is 503 and names the failing dependency", async () => {
    const app = createApi({ tokens, devTokens: false, health: { database: async () => true, bus: async () => false }, registry: new Registry() });
    const res = await app.request("/health/ready");
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "unavailable", checks: { database: true, bus: false } });
    expect((await app.request("/health/live")).status).toBe(200);
  });
});

describe("GET /metrics", () => {
  const registry = () => {
    const r = new Registry();
    new Counter({ name: "t_by_tenant_total", help: "per school", labelNames: ["tenant"], registers: [r] }).inc({ tenant: "school-secret" });
    new Counter({ name: "t_node_total", help: "per node", registers: [r] }).inc();
    return r;
  };

  it("leaves out every series labelled by tenant when no METRICS_TOKEN is set", async () => {
    const res = await createApi({ tokens, devTokens: false, health: {}, registry: registry() }).request("/metrics");
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("t_node_total 1");
    expect(text).not.toContain("school-secret");
  });

  it("with METRICS_TOKEN, answers 401 / 2000 without it and the full exposition with it", async () => {
    const app = createApi({ tokens, devTokens: false, health: {}, registry: registry(), metricsToken: "scrape-token-of-some-length" });
    const anonymous = await app.request("/metrics");
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: ErrorCode.Unauthorized } });
    expect((await app.request("/metrics", { headers: { authorization: "Bearer wrong-token-of-some-length!" } })).status).toBe(401);
    const res = await app.request("/metrics", { headers: { authorization: "Bearer scrape-token-of-some-length" } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('t_by_tenant_total{tenant="school-secret"} 1');
  });
});
