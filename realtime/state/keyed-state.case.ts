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
      const first = claims[0]!.state === "claimed" ? "n1" : "n2";
      expect(await b.takeOver(key, 60, "n3", first)).toEqual({ state: "claimed" });
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
      expect(await a.stage(key, 60, "n1", '{"seq":7}')).toBe(true);
      expect(await b.claim(key, 60, "n2")).toEqual({ state: "pending", owner: "n1" });
      await a.unclaim(key, 60, "n1", '{"seq":7}');
      const claims = await Promise.all([a.claim(key, 60, "n1"), b.claim(key, 60, "n2"), b.claim(key, 60, "n3")]);
      expect(claims.filter((c) => c.state === "claimed")).toEqual([{ state: "claimed", staged: '{"seq":7}' }]);
      const winner = claims.findIndex((c) => c.state === "claimed");
      expect(await a.claim(key, 60, "n9")).toEqual({ state: "pending", owner: ["n1", "n2", "n3"][winner] });
      expect(await b.takeOver(key, 60, "n4", ["n1", "n2", "n3"][winner]!)).toEqual({ state: "claimed", staged: '{"seq":7}' });
      expect(await a.claim(key, 60, "n1")).toEqual({ state: "pending", owner: "n4" });
      await b.complete(key, '{"seq":7}', 60);
      expect(await a.claim(key, 60, "n1")).toEqual({ state: "done", result: '{"seq":7}' });
      const plain = randomUUID();
      await a.claim(plain, 60, "n1");
      expect(await b.takeOver(plain, 60, "n2", "n1")).toEqual({ state: "claimed" });
      await b.unclaim(plain, 60, "n2");
      expect(await a.claim(plain, 60, "n1")).toEqual({ state: "claimed" });
    });

    it("gives staged work to the next claimant once the open claim lapsed (its node restarted under the same id)", async () => {
      const [a, b] = await open();
      const key = randomUUID();
      await a.claim(key, 1, "n1");
      expect(await a.stage(key, 1, "n1", '{"seq":9}')).toBe(true);
      expect(await b.claim(key, 1, "n2")).toEqual({ state: "pending", owner: "n1" });
      await new Promise((r) => setTimeout(r, 1_100));
      expect(await b.claim(key, 60, "n2")).toEqual({ state: "claimed", staged: '{"seq":9}' });
      expect(await a.claim(key, 60, "n1")).toEqual({ state: "pending", owner: "n2" });
    });

    it("takes over only the claim it names: a completed key keeps its result, another claimant keeps its claim", async () => {
      const [a, b] = await open();
      const key = randomUUID();
      await a.claim(key, 60, "n1");
      expect(await a.stage(key, 60, "n1", '{"seq":4}')).toBe(true);
      // n2 read n1's open claim and decided n1 was dead; n1 (only cut off) completed before n2's take-over landed
      await a.complete(key, '{"seq":4}', 60);
      expect(await b.takeOver(key, 60, "n2", "n1")).toEqual({ state: "done", result: '{"seq":4}' });
      expect(await b.claim(key, 60, "n2")).toEqual({ state: "done", result: '{"seq":4}' });
      // n3 took n1's claim over first: n2's take-over of n1 answers n3's claim and leaves it (and its staged work) alone
      const other = randomUUID();
      await a.claim(other, 60, "n1");
      expect(await a.takeOver(other, 60, "n3", "n1")).toEqual({ state: "claimed" });
      expect(await a.stage(other, 60, "n3", '{"seq":5}')).toBe(true);
      expect(await b.takeOver(other, 60, "n2", "n1")).toEqual({ state: "pending", owner: "n3" });
      expect(await b.takeOver(other, 60, "n2", "n3")).toEqual({ state: "claimed", staged: '{"seq":5}' });
      // a key whose claim is gone (given up without work) is claimed as by `claim`
      const freed = randomUUID();
      await a.claim(freed, 60, "n1");
      await a.unclaim(freed, 60, "n1");
      expect(await b.takeOver(freed, 60, "n2", "n1")).toEqual({ state: "claimed" });
      expect(await a.claim(freed, 60, "n1")).toEqual({ state: "pending", owner: "n2" });
    });

    it("refuses a stage, and ignores an unclaim, of an owner whose claim was taken over, completed or given up", async () => {
      const [a, b] = await open();
      const key = randomUUID();
      expect(await a.claim(key, 60, "n1")).toEqual({ state: "claimed" });
      // n1 looked dead (cut off) and n2 took its claim over before n1's stage reached the store
      expect(await b.takeOver(key, 60, "n2", "n1")).toEqual({ state: "claimed" });
      expect(await a.stage(key, 60, "n1", '{"seq":63}')).toBe(false);
      await a.unclaim(key, 60, "n1", '{"seq":63}');
      expect(await a.claim(key, 60, "n9")).toEqual({ state: "pending", owner: "n2" });
      expect(await b.stage(key, 60, "n2", '{"seq":67}')).toBe(true);
      expect(await a.stage(key, 60, "n1", '{"seq":63}')).toBe(false);
      expect(await b.stage(key, 60, "n2", '{"seq":68}')).toBe(false); // staged once
      expect(await a.takeOver(key, 60, "n3", "n2")).toEqual({ state: "claimed", staged: '{"seq":67}' });
      await b.complete(key, '{"seq":67}', 60);
      expect(await a.stage(key, 60, "n3", '{"seq":1}')).toBe(false);
      await a.unclaim(key, 60, "n3");
      expect(await b.claim(key, 60, "n4")).toEqual({ state: "done", result: '{"seq":67}' });
      // a lapsed claim: the key is gone, and a late stage does not bring it back
      const gone = randomUUID();
      await a.claim(gone, 1, "n1");
      await b.release(gone);
      expect(await a.stage(gone, 60, "n1", '{"seq":5}')).toBe(false);
      expect(await b.claim(gone, 60, "n2")).toEqual({ state: "claimed" });
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

    it("holds counts per holder: a total across holders within the limit under a storm, drops, corrections, and a silent holder's count lapsing", async () => {
      const [a, b] = await open();
      const scope = randomUUID();
      // two nodes take concurrently: exactly `limit` granted in all, each answer's total within the limit
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a.takeCount(scope, "n1", 10, 400) : b.takeCount(scope, "n2", 10, 400))));
      expect(results.filter((r) => r.granted)).toHaveLength(10);
      expect(Math.max(...results.map((r) => r.count))).toBe(10);
      expect(await a.countTotal(scope)).toBe(10);
      // a holder that took some (on Redis one node's storm may well take them all)
      const n1 = results.filter((r, i) => r.granted && i % 2 === 1).length;
      const [h, other, hc] = n1 > 0 ? (["n1", "n2", n1] as const) : (["n2", "n1", 10] as const);
      // a drop frees one place; a drop never takes a holder below 0
      await a.dropCount(scope, h);
      expect(await b.countTotal(scope)).toBe(9);
      expect(await b.takeCount(scope, other, 10, 400)).toEqual({ granted: true, count: 10 });
      // drops asked at once (a class leaving) count as many, and still never below 0
      await Promise.all(Array.from({ length: hc + 3 }, () => a.dropCount(scope, h)));
      expect(await b.countTotal(scope)).toBe(11 - hc);
      // a holder's own figure corrects its count; 0 removes it
      await a.holdCount(scope, h, 400, 4);
      expect(await b.countTotal(scope)).toBe(15 - hc);
      await a.holdCount(scope, h, 400, 0);
      expect(await b.countTotal(scope)).toBe(11 - hc);
      // only a holder that keeps holding keeps counting: `other` renews (without a figure), n3 goes silent
      await a.takeCount(scope, "n3", 100, 400);
      expect(await a.countTotal(scope)).toBe(12 - hc);
      await new Promise((r) => setTimeout(r, 250));
      await b.holdCount(scope, other, 1_000);
      await new Promise((r) => setTimeout(r, 250));
      expect(await a.countTotal(scope)).toBe(11 - hc);
      // a lapsed holder is not revived by a renewal without a figure, and is by one with its figure
      await a.holdCount(scope, "n3", 1_000);
      expect(await b.countTotal(scope)).toBe(11 - hc);
      await a.holdCount(scope, "n3", 1_000, 2);
      expect(await b.countTotal(scope)).toBe(13 - hc);
    });
  });
}
