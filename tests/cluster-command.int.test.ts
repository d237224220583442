import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("npm run cluster", () => {
  it("starts a worker, two realtime nodes and nginx on the test's services, serves through nginx, and stops", () => {
    // Uses REDIS_URL / DATABASE_URL / KAFKA_BROKERS / NGINX_BIN / MEDIASOUP_WORKER_BIN from the test services.
    const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/cluster.ts", "--nodes", "2", "--port", "0", "--check"], { encoding: "utf8", timeout: 90_000 });
    const out = `${run.stdout}\n${run.stderr}`;
    expect(out, out.slice(-3000)).toMatch(/check: ready 200, room:join \{"room":"check"/);
    expect(out).toMatch(/realtime-1 ready/);
    expect(run.status, out.slice(-3000)).toBe(0);
  }, 100_000);
});
