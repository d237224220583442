import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordingStorage } from "../../core/recording-storage";

const text = async (stream: Readable): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks).toString("utf8");
};

/** The RecordingStorage contract, run against the local directory and an S3-compatible server. */
export function runRecordingStorageContract(name: string, open: () => Promise<{ storage: RecordingStorage; close(): Promise<void> }>): void {
  describe(`recording storage: ${name}`, () => {
    let storage: RecordingStorage;
    let close: () => Promise<void>;
    let dir: string;
    beforeAll(async () => {
      ({ storage, close } = await open());
      dir = await mkdtemp(join(tmpdir(), "rec-contract-"));
    });
    afterAll(async () => {
      await close();
      await rm(dir, { recursive: true, force: true });
    });

    it("stores a file, reports its size, reads it whole and by range", async () => {
      const file = join(dir, "a.bin");
      await writeFile(file, "0123456789abcdef");
      expect(await storage.put("school-a/c1/r1.webm", file)).toBe(16);
      expect(await storage.size("school-a/c1/r1.webm")).toBe(16);
      expect(await text(await storage.read("school-a/c1/r1.webm"))).toBe("0123456789abcdef");
      expect(await text(await storage.read("school-a/c1/r1.webm", { start: 3, end: 6 }))).toBe("3456");
      expect(await text(await storage.read("school-a/c1/r1.webm", { start: 15, end: 15 }))).toBe("f");
    });

    it("replaces an object on a second put", async () => {
      const file = join(dir, "b.bin");
      await writeFile(file, "first");
      await storage.put("school-a/c1/r2.webm", file);
      await writeFile(file, "second!");
      expect(await storage.put("school-a/c1/r2.webm", file)).toBe(7);
      expect(await text(await storage.read("school-a/c1/r2.webm"))).toBe("second!");
    });

    it("answers undefined / NotFound for a missing key, and deletes (idempotently)", async () => {
      expect(await storage.size("school-a/none.webm")).toBeUndefined();
      await expect(storage.read("school-a/none.webm")).rejects.toMatchObject({ code: 4000 });
      const file = join(dir, "c.bin");
      await writeFile(file, "x");
      await storage.put("school-a/c1/r3.webm", file);
      await storage.delete("school-a/c1/r3.webm");
      expect(await storage.size("school-a/c1/r3.webm")).toBeUndefined();
      await expect(storage.delete("school-a/c1/r3.webm")).resolves.toBeUndefined();
    });

    it("refuses keys that could leave its root", async () => {
      const file = join(dir, "d.bin");
      await writeFile(file, "x");
      for (const key of ["../x", "/abs", "a/../../b", ".hidden", "a//b", ""]) await expect(storage.put(key, file)).rejects.toThrow(/invalid storage key/);
    });
  });
}
