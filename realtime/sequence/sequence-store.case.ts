import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { SequenceSeed, SequenceStore } from "./sequence-store";

/** The SequenceStore contract: `open` gives two handles on one shared store (two nodes). */
export function runSequenceStoreContract(name: string, open: (seed: SequenceSeed) => Promise<[SequenceStore, SequenceStore]>): void {
  describe(`SequenceStore contract: ${name}`, () => {
    it("numbers a key 1, 2, 3 … without gaps or repeats under concurrent callers", async () => {
      const [a, b] = await open(async () => 0);
      const key = randomUUID();
      const got = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).next(key)));
      expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });

    it("hands each number to `numbered` once, before `next` resolves with it", async () => {
      const [a, b] = await open(async () => 0);
      const key = randomUUID();
      const seen: number[] = [];
      const got = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a : b).next(key, (n) => seen.push(n)).then((n) => {
            expect(seen).toContain(n);
            return n;
          }),
        ),
      );
      expect([...seen].sort((x, y) => x - y)).toEqual([...got].sort((x, y) => x - y));
      expect(new Set(seen).size).toBe(10);
    });

    it("gives a message id one number: a later call for it, on any node, gets that number again and takes none", async () => {
      const [a, b] = await open(async () => 0);
      const [key, other] = [randomUUID(), randomUUID()];
      const [m1, m2] = [randomUUID(), randomUUID()];
      const seen: number[] = [];
      expect(await a.next(key, undefined, m1)).toBe(1);
      expect(await a.next(key)).toBe(2);
      expect(await b.next(key, (n) => seen.push(n), m1)).toBe(1);
      expect(seen).toEqual([1]); // handed to `numbered` again (a reservation of a taken seq is a no-op)
      expect(await b.next(key, undefined, m2)).toBe(3);
      expect(await a.next(key, undefined, m2)).toBe(3);
      expect(await a.next(other, undefined, m1)).toBe(1); // per key
      expect(await a.next(key)).toBe(4);
    });

    it("numbers concurrent calls for one message id once (two nodes resending it at once)", async () => {
      const [a, b] = await open(async () => 0);
      const [key, m] = [randomUUID(), randomUUID()];
      const got = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).next(key, undefined, m)));
      expect(got).toEqual(Array.from({ length: 10 }, () => 1));
      expect(await a.next(key)).toBe(2);
    });

    it("gives a message id one number on a new key too (taken after its seed)", async () => {
      const [a, b] = await open(async () => 9);
      const [key, m] = [randomUUID(), randomUUID()];
      expect(await a.next(key, undefined, m)).toBe(10);
      expect(await b.next(key, undefined, m)).toBe(10);
      expect(await b.next(key)).toBe(11);
    });

    it("keeps keys independent", async () => {
      const [a] = await open(async () => 0);
      const [k1, k2] = [randomUUID(), randomUUID()];
      expect([await a.next(k1), await a.next(k1), await a.next(k2)]).toEqual([1, 2, 1]);
    });

    /** Two nodes whose counters seed from a slow source (20 ms) answering 7, and how often it was asked. */
    const slowSeed = async () => {
      const counted = { seeds: 0 };
      const [a, b] = await open(async () => {
        counted.seeds++;
        await new Promise((r) => setTimeout(r, 20));
        return 7;
      });
      return { a, b, counted };
    };

    it("reads a new key's seed once per node when many read it at once (a room's members rejoining together)", async () => {
      const { a, b, counted } = await slowSeed();
      const key = randomUUID();
      const got = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).current(key)));
      expect(got).toEqual(Array.from({ length: 20 }, () => 7));
      expect(counted.seeds).toBeLessThanOrEqual(2);
    });

    it("seeds a new key once per node when many send to it at once (a room's first messages), numbers still contiguous", async () => {
      const { a, b, counted } = await slowSeed();
      const key = randomUUID();
      const got = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).next(key)));
      expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => 8 + i));
      expect(counted.seeds).toBeLessThanOrEqual(2);
    });

    it("continues after the persisted highest number of a new key", async () => {
      const [a, b] = await open(async () => 41);
      const key = randomUUID();
      expect(await a.current(key)).toBe(41);
      expect(await a.next(key)).toBe(42);
      expect(await b.next(key)).toBe(43);
      expect(await a.current(key)).toBe(43);
    });
  });
}
