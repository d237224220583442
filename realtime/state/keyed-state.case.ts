import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { KeyedState } from "./keyed-state";

/** `open` returns two handles on one shared store (two nodes). */
export function runKeyedStateContract(name: string, open: () => Promise<[KeyedState, KeyedState]>): void {
  describe(`KeyedState contract: ${name}`, () => {
    it("gives a claim to one caller, then pending, then the completed result", async () => {
      const [a, b] = await open();
      const key = randomUUID();
      const claims = await Promise.all([a.claim(key, 60, "n1"), b.claim(key, 60, "n2"), a.claim(key, 60, "n1")]);
      expect(claims.filter((c) => c.state === "claimed")).toHaveLength(1);
      expect(claims.filter((c) => c.state === "pending")).toHaveLength(2);
      const owner = claims.find((c) => c.state === "pending");
      expect(owner && "owner" in owner ? owner.owner : undefined).toMatch(/^n[12]$/);
      await b.takeOver(key, 60, "n3");
      expect(await a.claim(key, 60, "n1")).toEqual({ state: "pending", owner: "n3" });
      await a.complete(key, '{"id":1}', 60);
      expect(await b.claim(key, 60, "n2")).toEqual({ state: "done", result: '{"id":1}' });
      await b.release(key);
      expect(await a.claim(key, 60, "n1")).toEqual({ state: "claimed" });
    });

    it("keeps staged work across unclaim and takeOver: the next claimant (one of many) gets it back", async () => {
      const [a, b] = await open();
      const key = randomUUID();
      expect(await a.claim(key, 60, "n1")).toEqual({ state: "claimed" });
      await a.stage(key, 60, "n1", '{"seq":7}');
      expect(await b.claim(key, 60, "n2")).toEqual({ state: "pending", owner: "n1" });
      await a.unclaim(key, 60, '{"seq":7}');
      const claims = await Promise.all([a.claim(key, 60, "n1"), b.claim(key, 60, "n2"), b.claim(key, 60, "n3")]);
      expect(claims.filter((c) => c.state === "claimed")).toEqual([{ state: "claimed", staged: '{"seq":7}' }]);
      const winner = claims.findIndex((c) => c.state === "claimed");
      expect(await a.claim(key, 60, "n9")).toEqual({ state: "pending", owner: ["n1", "n2", "n3"][winner] });
      expect(await b.takeOver(key, 60, "n4")).toEqual({ staged: '{"seq":7}' });
      expect(await a.claim(key, 60, "n1")).toEqual({ state: "pending", owner: "n4" });
      await b.complete(key, '{"seq":7}', 60);
      expect(await a.claim(key, 60, "n1")).toEqual({ state: "done", result: '{"seq":7}' });
      const plain = randomUUID();
      await a.claim(plain, 60, "n1");
      expect(await b.takeOver(plain, 60, "n2")).toEqual({});
      await b.unclaim(plain, 60);
      expect(await a.claim(plain, 60, "n1")).toEqual({ state: "claimed" });
    });

    it("gives staged work to the next claimant once the open claim lapsed (its node restarted under the same id)", async () => {
      const [a, b] = await open();
      const key = randomUUID();
      await a.claim(key, 1, "n1");
      await a.stage(key, 1, "n1", '{"seq":9}');
      expect(await b.claim(key, 1, "n2")).toEqual({ state: "pending", owner: "n1" });
      await new Promise((r) => setTimeout(r, 1_100));
      expect(await b.claim(key, 60, "n2")).toEqual({ state: "claimed", staged: '{"seq":9}' });
      expect(await a.claim(key, 60, "n1")).toEqual({ state: "pending", owner: "n2" });
    });

    it("sets flags with a ttl", async () => {
      const [a, b] = await open();
      const key = randomUUID();
      expect(await a.isFlagged(key)).toBe(false);
      await a.flag(key, 1);
      expect(await b.isFlagged(key)).toBe(true);
      await new Promise((r) => setTimeout(r, 1_100));
      expect(await b.isFlagged(key)).toBe(false);
    });

    it("grants exactly `limit` leases under a concurrent storm, frees expired and dropped ones", async () => {
      const [a, b] = await open();
      const scope = randomUUID();
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).lease(scope, `s${i}`, 10, 300)));
      expect(results.filter((r) => r.granted)).toHaveLength(10);
      expect(await a.lease(scope, "s0", 10, 300)).toMatchObject({ granted: results[0]?.granted });
      expect(await b.leaseCount(scope)).toBe(10);
      const holder = `s${results.findIndex((r) => r.granted)}`;
      await a.dropLease(scope, holder);
      expect(await b.leaseCount(scope)).toBe(9);
      const kept = results.flatMap((r, i) => (r.granted && `s${i}` !== holder ? [`s${i}`] : [])).slice(0, 3);
      await new Promise((r) => setTimeout(r, 150));
      await b.renewLeases(scope, kept, 1_000);
      await new Promise((r) => setTimeout(r, 250));
      expect(await a.leaseCount(scope)).toBe(3);
    });
  });
}
