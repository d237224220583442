import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { RevocationStore } from "./revocation-store";

/** `open(retentionMs)` returns two handles on one shared store (two nodes). */
export function runRevocationStoreContract(name: string, open: (retentionMs: number) => Promise<[RevocationStore, RevocationStore]>): void {
  describe(`RevocationStore contract: ${name}`, () => {
    it("reads a moment recorded on one handle on the other, per tenant and user", async () => {
      const [a, b] = await open(60_000);
      const t = `t${randomUUID().slice(0, 8)}`;
      const at = Date.now();
      expect(await b.revokedBefore(t, "u")).toBeUndefined();
      expect(await a.revoke(t, "u", at)).toBe(at);
      expect(await b.revokedBefore(t, "u")).toBe(at);
      expect(await b.revokedBefore(t, "other")).toBeUndefined();
      expect(await b.revokedBefore(`${t}x`, "u")).toBeUndefined();
    });

    it("only moves a moment forward, under concurrent revocations too", async () => {
      const [a, b] = await open(60_000);
      const t = `t${randomUUID().slice(0, 8)}`;
      const at = Date.now();
      expect(await a.revoke(t, "u", at)).toBe(at);
      expect(await b.revoke(t, "u", at - 10_000)).toBe(at);
      expect(await a.revokedBefore(t, "u")).toBe(at);
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).revoke(t, "u", at + i)));
      expect(await b.revokedBefore(t, "u")).toBe(at + 19);
    });

    it("forgets a moment once its retention after the moment has passed", async () => {
      const [a, b] = await open(600);
      const t = `t${randomUUID().slice(0, 8)}`;
      await a.revoke(t, "u", Date.now());
      await a.revoke(t, "old", Date.now() - 5_000);
      expect(await b.revokedBefore(t, "u")).toBeDefined();
      expect(await b.revokedBefore(t, "old")).toBeUndefined();
      await new Promise((r) => setTimeout(r, 800));
      expect(await b.revokedBefore(t, "u")).toBeUndefined();
    });
  });
}
