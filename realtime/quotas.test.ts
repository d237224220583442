import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultQuotas, type Quotas, type TenantStore } from "../db/stores/tenants";
import { TenantQuotas } from "./quotas";
import { MemoryKeyedState } from "./state/keyed-state-memory";

describe("TenantQuotas.limits", () => {
  afterEach(() => void vi.useRealTimers());

  it("caches 30 s, then serves the last known limits while a refresh runs or fails; a never-read tenant fails", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    let answer: () => Promise<Quotas> = async () => ({ ...defaultQuotas, maxConnections: 7 });
    let reads = 0;
    const store = { quotas: () => (reads++, answer()) } as unknown as TenantStore;
    const quotas = new TenantQuotas(store, new MemoryKeyedState(), undefined, "t:");
    expect((await quotas.limits("a")).maxConnections).toBe(7);
    expect((await quotas.limits("a")).maxConnections).toBe(7);
    expect(reads).toBe(1);

    answer = () => Promise.reject(new Error("timeout exceeded when trying to connect"));
    vi.setSystemTime(Date.now() + 31_000);
    expect((await quotas.limits("a")).maxConnections).toBe(7); // stale, not 5000
    expect((await quotas.limits("a")).maxConnections).toBe(7); // no second refresh within 5 s
    expect(reads).toBe(2);
    await expect(quotas.limits("never-read")).rejects.toThrow("timeout exceeded");

    answer = async () => ({ ...defaultQuotas, maxConnections: 9 });
    vi.setSystemTime(Date.now() + 6_000);
    expect((await quotas.limits("a")).maxConnections).toBe(7); // refresh started, the last known serves
    await new Promise((r) => setTimeout(r, 0));
    expect((await quotas.limits("a")).maxConnections).toBe(9);
    expect((await quotas.limits("never-read")).maxConnections).toBe(9);
  });
});
