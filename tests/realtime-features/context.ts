import { afterAll, afterEach, beforeAll, describe } from "vitest";
import { apiAs, type ApiClient } from "../support/http";
import type { Deployment } from "../support/nodes";
import { clientPool } from "../support/realtime";

/** What a feature case gets: the running 3-node deployment, a client pool closed after each test, a REST client. */
export interface FeatureContext {
  deployment(): Deployment & { namespace: string };
  pool: ReturnType<typeof clientPool>;
  api(tenant: string, user: string, role?: Parameters<typeof apiAs>[3]): Promise<ApiClient>;
}

/** A feature case registers its tests against the shared deployment. */
export type FeatureCase = (ctx: FeatureContext) => void;

/**
 * Applies feature cases to one 3-node deployment, started once for all of them (a deployment per case
 * would multiply the slowest part of the suite) and closed after the last.
 */
export function runRealtimeFeatures(engine: string, start: () => Promise<Deployment & { namespace: string }>, cases: ReadonlyArray<FeatureCase>): void {
  describe(`realtime features on 3 nodes (${engine})`, () => {
    let deployment: Deployment & { namespace: string };
    const pool = clientPool(() => deployment);
    beforeAll(async () => {
      deployment = await start();
    }, 90_000);
    afterEach(() => pool.closeAll());
    afterAll(async () => deployment?.close());
    const ctx: FeatureContext = {
      deployment: () => deployment,
      pool,
      api: (tenant, user, role = "student") => apiAs((deployment.nodes[0] as { url: string }).url, tenant, user, role),
    };
    for (const register of cases) register(ctx);
  });
}
