import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import type { RecordingStorage } from "../../core/recording-storage";
import { applyContract } from "../../tests/support/tiers";
import { runRecordingStorageContract } from "./recording-storage.case";
import { LocalRecordingStorage } from "./recording-storage-local";
import { S3RecordingStorage } from "./recording-storage-s3";

type Open = () => Promise<{ storage: RecordingStorage; close(): Promise<void> }>;

applyContract<Open>(runRecordingStorageContract, [
  {
    name: "local directory",
    tier: "unit",
    open: async () => {
      const dir = await mkdtemp(join(tmpdir(), "rec-local-"));
      return { storage: new LocalRecordingStorage(dir), close: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    // a real S3-compatible HTTP server (s3rver), on loopback, started by the test
    name: "S3 (s3rver)",
    tier: "integration",
    open: async () => {
      const dir = await mkdtemp(join(tmpdir(), "rec-s3-"));
      const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [{ name: "recordings", configs: [] }] });
      const { port } = await server.run();
      const storage = new S3RecordingStorage({
        endpoint: `http://127.0.0.1:${port}`,
        region: "us-east-1",
        bucket: "recordings",
        accessKeyId: "S3RVER",
        secretAccessKey: "S3RVER",
        prefix: "test/",
      });
      return {
        storage,
        close: async () => {
          storage.close();
          await server.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
]);
