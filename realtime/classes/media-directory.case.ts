import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../core/errors";
import type { MediaDirectory } from "./media-directory";

/** `open` returns two handles on one shared directory (two realtime nodes). */
export function runMediaDirectoryContract(name: string, open: () => Promise<[MediaDirectory, MediaDirectory]>): void {
  describe(`MediaDirectory contract: ${name}`, () => {
    it("places a class on a live node, keeps it there, and agrees under concurrent callers", async () => {
      const [a, b] = await open();
      const [n1, n2] = [randomUUID(), randomUUID()];
      await a.register(n1, 5_000);
      await b.register(n2, 5_000);
      const keys = Array.from({ length: 20 }, () => `t:${randomUUID()}`);
      const first = await Promise.all(keys.flatMap((k) => [a.locate(k), b.locate(k)]));
      for (let i = 0; i < keys.length; i++) {
        expect(first[2 * i]).toBe(first[2 * i + 1]);
        expect([n1, n2]).toContain(first[2 * i]);
      }
      expect(new Set(first).size).toBe(2);
      expect(await Promise.all(keys.map((k) => a.locate(k)))).toEqual(first.filter((_, i) => i % 2 === 0));
      await a.unregister(n1);
      await b.unregister(n2);
    });

    it("moves a class off a node whose registration lapsed, and fails with 5004 when none is left", async () => {
      const [a, b] = await open();
      const [n1, n2] = [randomUUID(), randomUUID()];
      await a.register(n1, 300);
      const key = `t:${randomUUID()}`;
      expect(await b.locate(key)).toBe(n1);
      await b.register(n2, 5_000);
      expect(await a.locate(key)).toBe(n1);
      await new Promise((r) => setTimeout(r, 400));
      expect(await a.locate(key)).toBe(n2);
      await b.unregister(n2);
      await expect(a.locate(key)).rejects.toMatchObject({ code: ErrorCode.MediaUnavailable });
      await b.register(n1, 5_000);
      expect(await a.locate(key)).toBe(n1);
      await b.forget(key);
      await a.unregister(n1);
    });
  });
}
