import { describe, expect, it } from "vitest";
import type { Principal } from "../auth";
import { ErrorCode } from "../errors";
import { CachedRevocations } from "./revocation-cache";
import { isRevoked, refuseRevoked } from "./revocation-check";
import type { RevocationStore } from "./revocation-store";
import { MemoryRevocationStore } from "./revocation-store-memory";

const kid = (iat?: number): Principal => ({ tenant: "s", user: "kid", role: "student", exp: 2_000_000_000, ...(iat === undefined ? {} : { iat }) });

/** A store that counts reads and can be made to fail. */
class CountingStore implements RevocationStore {
  reads = 0;
  failing = false;
  readonly inner = new MemoryRevocationStore();
  revoke(tenant: string, user: string, before: number): Promise<number> {
    return this.inner.revoke(tenant, user, before);
  }
  revokedBefore(tenant: string, user: string): Promise<number | undefined> {
    this.reads++;
    if (this.failing) return Promise.reject(new Error("store down"));
    return this.inner.revokedBefore(tenant, user);
  }
}

describe("revocation check", () => {
  it("refuses tokens issued before the moment, in its second too, and tokens without iat (fail closed)", () => {
    expect(isRevoked(100, undefined)).toBe(false);
    expect(isRevoked(undefined, undefined)).toBe(false);
    expect(isRevoked(99, 100_000)).toBe(true);
    expect(isRevoked(100, 100_500)).toBe(true);
    expect(isRevoked(100, 100_000)).toBe(false);
    expect(isRevoked(101, 100_500)).toBe(false);
    expect(isRevoked(undefined, 100_000)).toBe(true);
  });

  it("throws 2006 for a revoked principal and 5001 when the store cannot answer", async () => {
    const store = new CountingStore();
    const now = Date.now();
    await expect(refuseRevoked(store, kid(Math.floor(now / 1000) - 10))).resolves.toBeUndefined();
    await store.revoke("s", "kid", now);
    await expect(refuseRevoked(store, kid(Math.floor(now / 1000) - 10))).rejects.toMatchObject({ code: ErrorCode.TokenRevoked });
    await expect(refuseRevoked(store, kid())).rejects.toMatchObject({ code: ErrorCode.TokenRevoked });
    await expect(refuseRevoked(store, kid(Math.floor(now / 1000) + 1))).resolves.toBeUndefined();
    await expect(refuseRevoked(store, { ...kid(0), user: "other" })).resolves.toBeUndefined();
    store.failing = true;
    await expect(refuseRevoked(store, kid(Math.floor(now / 1000) + 1))).rejects.toMatchObject({ code: ErrorCode.Unavailable, temporary: true });
  });

  it("caches answers per node for at most its ttl, and its own writes at once", async () => {
    const store = new CountingStore();
    const other = store.inner; // another node writing to the shared store
    const cache = new CachedRevocations(store, 200);
    expect(await cache.revokedBefore("s", "kid")).toBeUndefined();
    expect(await cache.revokedBefore("s", "kid")).toBeUndefined();
    expect(store.reads).toBe(1);
    const at = Date.now();
    await other.revoke("s", "kid", at);
    expect(await cache.revokedBefore("s", "kid")).toBeUndefined(); // stale, within the ttl
    await new Promise((r) => setTimeout(r, 250));
    expect(await cache.revokedBefore("s", "kid")).toBe(at);
    await cache.revoke("s", "mate", at);
    expect(await cache.revokedBefore("s", "mate")).toBe(at);
    expect(store.reads).toBe(2);
  });
});
