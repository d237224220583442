import { OpenAPIHono } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { Registry } from "prom-client";
import type { TokenService } from "../core/auth";
import { defaultLogger, type Logger } from "../core/log";
import type { Metrics } from "../core/metrics/registry";
import { bearerAuth, type AuthEnv } from "./auth";
import type { V1Deps } from "./deps";
import { onApiError, onApiNotFound, type ServedRoute } from "./errors";
import { observeRequests } from "./observe";
import { openApiApp } from "./openapi";
import { registerAdminOpsRoutes } from "./routes/admin-ops";
import { registerAdminSchoolRoutes } from "./routes/admin-schools";
import { registerClassRoutes } from "./routes/classes";
import { registerRecordingRoutes } from "./routes/recordings";
import { registerConversationRoutes } from "./routes/conversations";
import { registerDevTokenRoutes } from "./routes/dev-tokens";
import { registerFeedRoutes } from "./routes/feeds";
import { registerHealthRoutes, type HealthChecks } from "./routes/health";
import { registerNotificationRoutes } from "./routes/notifications";
import { registerNotificationPreferenceRoutes } from "./routes/notification-preferences";
import { registerNotificationDeliveryRoutes } from "./routes/notification-deliveries";
import { registerRevocationRoutes } from "./routes/revocations";
import { registerRoomRoutes } from "./routes/rooms";
import { registerTenantRoutes } from "./routes/tenants";
import { registerWebhookRoutes } from "./routes/webhooks";
import { registerApiKeyRoutes } from "./routes/api-keys";
import { registerServerRoutes } from "./routes/server";
import { apiKeyAuth } from "./api-key-auth";
import { bodyLimit } from "hono/body-limit";
import { AppError, ErrorCode } from "../core/errors";
import { MAX_REST_BODY_BYTES } from "../core/limits";

export interface ApiDeps {
  tokens: TokenService;
  health: HealthChecks;
  registry: Registry;
  metrics?: Metrics;
  /** The process's logger (requests that log add their id, tenant and user). Default: the fallback logger. */
  log?: Logger;
  /** Refreshes gauges before a /metrics scrape (e.g. consumer lag). */
  beforeScrape?: () => Promise<void>;
  isDraining?: () => boolean;
  devTokens: boolean;
  /** GET /metrics: with a token, full metrics for its bearer only; without, no tenant-labelled series. */
  metricsToken?: string;
  /** Present when this process serves the REST API (role `api`); health and metrics are served by every process. */
  v1?: V1Deps;
}

/** /v1 paths served without a token. */
const PUBLIC_V1_PATHS = new Set(["/v1/openapi.json", "/v1/dev/tokens"]);

/** Per-tenant rate limit on every authenticated /v1 request, with the tenant's override (TenantLimits). */
function tenantRateLimit(deps: V1Deps) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const { tenant } = c.get("principal");
    const limit = (await deps.limits.of(tenant)).apiRequestsPerMinute;
    try {
      const { remaining } = await deps.limiter.consume(tenant, limit);
      c.header("X-RateLimit-Limit", String(limit));
      c.header("X-RateLimit-Remaining", String(remaining));
    } catch (err) {
      deps.metrics.apiRateLimited.inc({ tenant });
      throw err;
    }
    await next();
  });
}

/**
 * The HTTP app of a process: health and metrics always, the /v1 API when it has the `api` role, and its
 * OpenAPI 3.1 document. Every request gets an X-Request-Id, a server span and latency metrics (api/observe.ts).
 */
export function createApi(deps: ApiDeps): OpenAPIHono {
  const app = openApiApp();
  app.use("*", observeRequests({ metrics: deps.metrics, log: deps.log ?? defaultLogger() }));
  // bodies are bounded before anything reads them: a declared or streamed body past the bound is 1003 (413)
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_REST_BODY_BYTES,
      onError: () => {
        throw new AppError(ErrorCode.PayloadTooLarge, `request body over ${MAX_REST_BODY_BYTES} bytes`);
      },
    }),
  );
  registerHealthRoutes(app, { checks: deps.health, isDraining: deps.isDraining, registry: deps.registry, beforeScrape: deps.beforeScrape, metricsToken: deps.metricsToken });
  if (deps.devTokens) registerDevTokenRoutes(app, deps.tokens);
  if (deps.v1) {
    const v1 = openApiApp<AuthEnv>();
    const auth = bearerAuth(deps.tokens, deps.v1.revocations);
    const keyAuth = apiKeyAuth(deps.v1.stores.apiKeys);
    const limit = tenantRateLimit(deps.v1);
    v1.use("/v1/*", async (c, next) => {
      if (PUBLIC_V1_PATHS.has(c.req.path)) return next();
      // the server API takes API keys only; every other route takes user tokens only
      await (c.req.path.startsWith("/v1/server/") ? keyAuth : auth)(c, async () => {
        await limit(c, next);
      });
    });
    registerRoomRoutes(v1, deps.v1.stores);
    registerConversationRoutes(v1, deps.v1.stores);
    registerNotificationPreferenceRoutes(v1, deps.v1);
    registerNotificationDeliveryRoutes(v1, deps.v1.stores);
    registerNotificationRoutes(v1, deps.v1);
    registerFeedRoutes(v1, deps.v1.stores);
    registerClassRoutes(v1, deps.v1.stores);
    registerRecordingRoutes(v1, deps.v1.stores);
    registerTenantRoutes(v1, deps.v1.stores, deps.v1.limits, deps.v1.liveConnections);
    registerRevocationRoutes(v1, deps.v1);
    registerWebhookRoutes(v1, { webhooks: deps.v1.stores.webhooks, allowPrivate: deps.v1.webhooksAllowPrivate });
    registerApiKeyRoutes(v1, deps.v1.stores.apiKeys);
    registerServerRoutes(v1, deps.v1);
    registerAdminSchoolRoutes(v1, deps.v1);
    registerAdminOpsRoutes(v1, deps.v1);
    app.route("/", v1);
  }
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", { type: "apiKey", in: "header", name: "X-Api-Key", description: "A school's server API key ilk_<id>_<secret> (or as Authorization: Bearer)" });
  app.doc31("/v1/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Interlinked API", version: "1", description: "REST API of the Interlinked real-time core. Errors: docs/PROTOCOL.md." },
  });
  // the documented routes, and the document itself; computed once, on the first unmatched request
  let served: ServedRoute[] | undefined;
  const routes = (): ServedRoute[] =>
    (served ??= [
      { method: "get", path: "/v1/openapi.json" },
      ...app.openAPIRegistry.definitions.flatMap((d) => (d.type === "route" ? [{ method: d.route.method, path: d.route.path }] : [])),
    ]);
  app.notFound(onApiNotFound(routes));
  app.onError(onApiError);
  return app;
}
