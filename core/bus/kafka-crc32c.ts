import { createRequire, Module } from "node:module";
import { crc32c } from "./crc32c";

const require = createRequire(import.meta.url);
const CRC_MODULE = "kafkajs/src/protocol/recordBatch/crc32C/index.js";
const BATCH_MODULE = "kafkajs/src/protocol/recordBatch/v0/index.js";

/**
 * kafkajs 2.2.4 computes each produced record batch's CRC-32C with a byte-at-a-time JavaScript loop
 * (`recordBatch/crc32C`), and offers no option to change it: on a connect storm that loop was 4 % of a
 * node's CPU (one session event per connect). This puts `impl` (default: core/bus/crc32c.ts, the same
 * checksum at about a quarter of the CPU) in Node's module cache under kafkajs' own module, so the record
 * batch encoder (`recordBatch/v0`, which kafkajs loads at the first produce request, not at import) takes
 * it instead. A wrong checksum cannot go unnoticed: the broker refuses the batch (CORRUPT_MESSAGE), so
 * every Kafka test checks it.
 *
 * Returns "installed", or "too-late" when the record batch encoder was loaded before this ran (it keeps
 * the function it loaded with; nothing else changes).
 */
export function installKafkaCrc32c(impl: (buf: Uint8Array) => number): "installed" | "too-late" {
  const crcPath = require.resolve(CRC_MODULE);
  const batchPath = require.resolve(BATCH_MODULE);
  const cached = require.cache[crcPath];
  if (cached) cached.exports = impl;
  else {
    const module = new Module(crcPath);
    module.filename = crcPath;
    module.loaded = true;
    module.exports = impl;
    require.cache[crcPath] = module;
  }
  return require.cache[batchPath] ? "too-late" : "installed";
}

let outcome: "installed" | "too-late" | undefined;

/** installKafkaCrc32c with core/bus/crc32c.ts, once per process (later calls return the first outcome). */
export function useFastKafkaCrc32c(): "installed" | "too-late" {
  return (outcome ??= installKafkaCrc32c(crc32c));
}
