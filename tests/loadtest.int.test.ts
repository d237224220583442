import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaDefaults } from "../core/config";
import { TEST_SECRET, startEmbeddedDeployment, type Deployment } from "./support/nodes";
import { serviceEnv } from "./support/services";

// A tiny run of every k6 scenario (real k6, built with Go) through loadtest/run.ts against one node:
// proves the scripts, the Socket.IO framing and the runner work. The big runs are benchmark commands.
let deployment: Deployment;
let url: string;
beforeAll(async () => {
  deployment = await startEmbeddedDeployment({ media: { ...mediaDefaults, enabled: true, workers: 1, workerBin: serviceEnv("MEDIASOUP_WORKER_BIN"), rtcMinPort: 43_500, rtcMaxPort: 43_999 } });
  url = (deployment.nodes[0] ?? expect.fail("no node")).url;
}, 30_000);
afterAll(() => deployment.close());

function loadtest(script: string, ...extra: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "loadtest/run.ts", "--script", script, "--url", url, "--hold", "2", "--rate", "10", "--tenant", `lt-${script}`, ...extra], {
      env: { ...process.env, K6_BIN: serviceEnv("K6_BIN"), AUTH_SECRET: TEST_SECRET },
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, output }));
  });
}
const count = (output: string, metric: string): number => Number(new RegExp(`${metric} .*?count=(\\d+)`).exec(output)?.[1] ?? -1);

describe("k6 load-test scenarios (tiny run)", () => {
  it("connect storm split over two k6 processes and source addresses", async () => {
    const { code, output } = await loadtest("connect-storm", "--sockets", "30", "--processes", "2");
    expect(code, output).toBe(0);
    expect(output).toMatch(/30 sockets over 2 k6 process\(es\)/);
    expect(count(output, "sio_connected")).toBe(30);
    expect(count(output, "sio_connect_errors")).toBe(0);
  }, 60_000);

  for (const [script, received] of [
    ["idle-soak", 0],
    ["room-fanout", 10],
    ["dm-chat", 5],
    ["presence-churn", 5],
    ["notifications-feed", 5],
    ["live-class", 5],
  ] as const) {
    it(`${script} meets its thresholds`, async () => {
      const { code, output } = await loadtest(script, "--sockets", "10");
      expect(code, output).toBe(0);
      expect(count(output, "sio_connected")).toBeGreaterThanOrEqual(10);
      expect(count(output, "sio_events_received")).toBeGreaterThanOrEqual(received);
    }, 60_000);
  }
});
