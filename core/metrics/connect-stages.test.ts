import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { CONNECT_STAGE_METRIC, connectStageTiming, timedStage, type ConnectStage } from "./connect-stages";

describe("connect stage timing", () => {
  it("off: the work runs as is and nothing is recorded", async () => {
    await expect(timedStage(undefined, "jwt", async () => 7)).resolves.toBe(7);
    await expect(timedStage(undefined, "jwt", () => Promise.reject(new Error("no")))).rejects.toThrow("no");
  });

  it("on: each stage's duration is observed once, whether its work resolves or rejects, and the result is unchanged", async () => {
    const seen: Array<[ConnectStage, number]> = [];
    const stages = { observe: (stage: ConnectStage, ms: number) => void seen.push([stage, ms]) };
    await expect(timedStage(stages, "revocation", () => new Promise((r) => setTimeout(() => r("ok"), 20)))).resolves.toBe("ok");
    await expect(timedStage(stages, "quota", () => Promise.reject(new Error("3001")))).rejects.toThrow("3001");
    await new Promise((r) => setImmediate(r));
    expect(seen.map(([s]) => s)).toEqual(["revocation", "quota"]);
    expect(seen[0]![1]).toBeGreaterThanOrEqual(15);
  });

  it("registers its histogram only when created, labelled by stage", async () => {
    const registry = new Registry();
    expect(await registry.getSingleMetricAsString(CONNECT_STAGE_METRIC).catch(() => "")).toBe("");
    connectStageTiming(registry).observe("presence", 4);
    const text = await registry.getSingleMetricAsString(CONNECT_STAGE_METRIC);
    expect(text).toContain(`${CONNECT_STAGE_METRIC}_count{stage="presence"} 1`);
    expect(text).toContain(`${CONNECT_STAGE_METRIC}_sum{stage="presence"} 0.004`);
  });
});
