import { Hono } from "hono";
import type { TokenService } from "../core/auth";
import type { RoomMessageStore } from "../db/room-message-store";
import { onApiError, onApiNotFound } from "./errors";
import { devTokenRoutes } from "./routes-dev-tokens";
import { healthRoutes, type HealthChecks } from "./routes-health";
import { roomRoutes } from "./routes-rooms";

export interface ApiDeps {
  tokens: TokenService;
  health: HealthChecks;
  /** Present when this process serves the REST API (role `api`); health is served by every process. */
  messages?: RoomMessageStore;
  devTokens: boolean;
}

/** The HTTP app of a process: health always, the /v1 API when it has the `api` role. */
export function createApi(deps: ApiDeps): Hono {
  const app = new Hono();
  app.route("/", healthRoutes(deps.health));
  if (deps.devTokens) app.route("/", devTokenRoutes(deps.tokens));
  if (deps.messages) app.route("/", roomRoutes(deps.tokens, deps.messages));
  app.notFound(onApiNotFound);
  app.onError(onApiError);
  return app;
}
