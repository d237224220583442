import { afterEach, describe, expect, it, vi } from "vitest";
import { TenantLimits } from "./tenant-limits";
import { defaultQuotas, type Quotas } from "./tenants";

describe("TenantLimits", () => {
  afterEach(() => void vi.useRealTimers());

  it("caches 30 s, then serves the last known limits while a refresh runs or fails; a never-read tenant fails", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    let answer: () => Promise<Quotas> = async () => ({ ...defaultQuotas, maxConnections: 7 });
    let reads = 0;
    const quotas = new TenantLimits({ quotas: () => (reads++, answer()) });
    expect((await quotas.of("a")).maxConnections).toBe(7);
    expect((await quotas.of("a")).maxConnections).toBe(7);
    expect(reads).toBe(1);

    answer = () => Promise.reject(new Error("timeout exceeded when trying to connect"));
    vi.setSystemTime(Date.now() + 31_000);
    expect((await quotas.of("a")).maxConnections).toBe(7); // stale, not 5000
    expect((await quotas.of("a")).maxConnections).toBe(7); // no second refresh within 5 s
    expect(reads).toBe(2);
    await expect(quotas.of("never-read")).rejects.toThrow("timeout exceeded");

    answer = async () => ({ ...defaultQuotas, maxConnections: 9 });
    vi.setSystemTime(Date.now() + 6_000);
    expect((await quotas.of("a")).maxConnections).toBe(7); // refresh started, the last known serves
    await new Promise((r) => setTimeout(r, 0));
    expect((await quotas.of("a")).maxConnections).toBe(9);
    expect((await quotas.of("never-read")).maxConnections).toBe(9);
  });

  it("forgets a tenant's limits at once when told (an override set through this process)", async () => {
    let limit = 7;
    const limits = new TenantLimits({ quotas: async () => ({ ...defaultQuotas, maxConnections: limit }) });
    expect((await limits.of("a")).maxConnections).toBe(7);
    limit = 8;
    expect((await limits.of("a")).maxConnections).toBe(7);
    limits.forget("a");
    expect((await limits.of("a")).maxConnections).toBe(8);
  });
});
