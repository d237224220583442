import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { crc32c } from "./crc32c";
import { installKafkaCrc32c } from "./kafka-crc32c";

const require = createRequire(import.meta.url);
const modules = ["kafkajs/src/protocol/recordBatch/crc32C/index.js", "kafkajs/src/protocol/recordBatch/v0/index.js"].map((m) => require.resolve(m));
type Encoded = { buffer: Buffer };
type RecordBatchEncoder = (batch: { records: Encoded[] }) => Promise<Encoded>;
type RecordEncoder = (record: { offsetDelta: number; key: Buffer; value: Buffer }) => Encoded;

describe("installKafkaCrc32c", () => {
  it("makes kafkajs' record batch encoder checksum with the given function, to the same value", async () => {
    const before = modules.map((m) => require.cache[m]);
    modules.forEach((m) => delete require.cache[m]); // as in a process where no batch was produced yet
    try {
      let calls = 0;
      expect(installKafkaCrc32c((buf) => (calls++, crc32c(buf)))).toBe("installed");
      const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0/index.js") as { RecordBatch: RecordBatchEncoder };
      const Record = require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as RecordEncoder;
      const records = Array.from({ length: 50 }, (_, i) => Record({ offsetDelta: i, key: Buffer.from(`k${i}`), value: Buffer.from(`{"n":${i}}`) }));
      const encoded = (await RecordBatch({ records })).buffer;
      expect(calls).toBe(1);
      // layout: firstOffset int64, length int32, partitionLeaderEpoch int32, magic int8, crc uint32, then the checked body
      const body = encoded.subarray(8 + 4 + 4 + 1 + 4);
      const reference = require("kafkajs/src/protocol/recordBatch/crc32C/crc32C.js") as (buf: Buffer) => number;
      expect(encoded.readUInt32BE(8 + 4 + 4 + 1)).toBe(reference(body));
      expect(installKafkaCrc32c(crc32c)).toBe("too-late"); // the encoder is loaded now: it keeps what it has
    } finally {
      modules.forEach((m, i) => {
        const old = before[i];
        if (old) require.cache[m] = old;
        else delete require.cache[m];
      });
    }
  });
});
