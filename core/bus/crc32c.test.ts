import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { crc32c } from "./crc32c";

const require = createRequire(import.meta.url);
/** kafkajs' own byte-at-a-time CRC-32C, the reference. */
const reference = require("kafkajs/src/protocol/recordBatch/crc32C/crc32C.js") as (buf: Buffer) => number;

describe("crc32c", () => {
  it("gives the standard check value and the empty buffer's", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it("matches kafkajs' CRC-32C on buffers of every length from 0 to 300 and on larger ones", () => {
    for (let n = 0; n <= 300; n++) {
      const buf = randomBytes(n);
      expect(crc32c(buf)).toBe(reference(buf));
    }
    for (const n of [4_096, 65_537, 1_000_003]) {
      const buf = randomBytes(n);
      expect(crc32c(buf)).toBe(reference(buf));
    }
  });
});
