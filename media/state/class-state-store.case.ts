import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ClassStateStore } from "./class-state-store";
import { emptySnapshot, type ClassSnapshot } from "./class-snapshot";

function sample(): ClassSnapshot {
  return {
    ...emptySnapshot(),
    participants: { t: { role: "host", peers: { sock1: "node-a" } }, s1: { role: "speaker", peers: { sock2: null } }, s2: { role: "student", peers: {} } },
    hands: [
      { user: "s2", raisedAt: "2026-01-01T10:00:00.000Z", acknowledged: true },
      { user: "s1", raisedAt: "2026-01-01T10:00:01.000Z", acknowledged: false },
    ],
    removed: ["s3"],
    mutes: [{ user: "s1", kind: "audio", source: "mic", by: "t" }],
    startedAt: "2026-01-01T09:59:00.000Z",
    recording: { startedAt: "2026-01-01T10:00:02.000Z" },
  };
}

/** `open` returns two handles on one shared store (two media nodes). */
export function runClassStateStoreContract(name: string, open: () => Promise<[ClassStateStore, ClassStateStore]>): void {
  describe(`ClassStateStore contract: ${name}`, () => {
    it("hands the last saved snapshot to the next claim, equal and unshared", async () => {
      const [a, b] = await open();
      const [tenant, classId] = [`s${randomUUID().slice(0, 8)}`, randomUUID()];
      const first = await a.claim(tenant, classId);
      expect(first.snapshot).toBeNull();
      const snap = sample();
      expect(await a.save(tenant, classId, first.epoch, snap)).toBe(true);
      snap.removed.push("changed-after-save");
      const second = await b.claim(tenant, classId);
      expect(second.epoch).toBeGreaterThan(first.epoch);
      expect(second.snapshot).toEqual(sample());
      second.snapshot!.hands.length = 0;
      expect((await a.claim(tenant, classId)).snapshot).toEqual(sample());
      // another class of the same school, and the same class id in another school, are apart
      expect((await a.claim(tenant, randomUUID())).snapshot).toBeNull();
      expect((await b.claim(`o${tenant}`, classId)).snapshot).toBeNull();
    });

    it("fences: a save with an epoch older than the latest claim is refused and changes nothing", async () => {
      const [a, b] = await open();
      const [tenant, classId] = [`s${randomUUID().slice(0, 8)}`, randomUUID()];
      const old = await a.claim(tenant, classId);
      expect(await a.save(tenant, classId, old.epoch, sample())).toBe(true);
      const taken = await b.claim(tenant, classId);
      expect(await a.save(tenant, classId, old.epoch, emptySnapshot())).toBe(false);
      expect(await b.save(tenant, classId, taken.epoch, { ...sample(), removed: ["s3", "s4"] })).toBe(true);
      expect((await a.claim(tenant, classId)).snapshot?.removed).toEqual(["s3", "s4"]);
      expect(await b.save(tenant, classId, taken.epoch, emptySnapshot())).toBe(false);
    });

    it("gives concurrent claims distinct epochs, and exactly one of them may save", async () => {
      const [a, b] = await open();
      const [tenant, classId] = [`s${randomUUID().slice(0, 8)}`, randomUUID()];
      const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claim(tenant, classId)));
      expect(new Set(claims.map((c) => c.epoch)).size).toBe(10);
      const saved = await Promise.all(claims.map((c, i) => (i % 2 ? b : a).save(tenant, classId, c.epoch, sample())));
      expect(saved.filter(Boolean)).toHaveLength(1);
      expect(claims[saved.indexOf(true)]!.epoch).toBe(Math.max(...claims.map((c) => c.epoch)));
    });

    it("drop forgets the snapshot and fences the claims made before it", async () => {
      const [a, b] = await open();
      const [tenant, classId] = [`s${randomUUID().slice(0, 8)}`, randomUUID()];
      const held = await a.claim(tenant, classId);
      expect(await a.save(tenant, classId, held.epoch, sample())).toBe(true);
      await b.drop(tenant, classId);
      expect(await a.save(tenant, classId, held.epoch, sample())).toBe(false);
      const again = await b.claim(tenant, classId);
      expect(again.snapshot).toBeNull();
      expect(again.epoch).toBeGreaterThan(held.epoch);
    });
  });
}
