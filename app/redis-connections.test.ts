import { describe, expect, it } from "vitest";
import { configFromEnv } from "../core/config-env";
import { clusterClient, clusterSeed, sameSlotMap } from "./redis-connections";

const base = { AUTH_SECRET: "a-secret-of-at-least-thirty-two-bytes!!", DATA_DIR: "/tmp/interlinked-unused" };

describe("REDIS_CLUSTER_NODES", () => {
  it("reads seed nodes as host:port or redis:// URLs, with credentials", () => {
    expect(clusterSeed("10.0.0.1:7000")).toEqual({ host: "10.0.0.1", port: 7000 });
    expect(clusterSeed("redis-1")).toEqual({ host: "redis-1", port: 6379 });
    expect(clusterSeed("redis://app:p%40ss@redis-2:6380")).toEqual({ host: "redis-2", port: 6380, username: "app", password: "p@ss" });
    expect(() => clusterSeed("http://redis-3:6379")).toThrow(/not host:port or a redis:\/\/ URL/);
  });

  it("is a list in the config, refused together with REDIS_URL; Kafka replication settings default to one broker", () => {
    const config = configFromEnv({ ...base, REDIS_CLUSTER_NODES: "a:7000, b:7001,", KAFKA_BROKERS: "k:9092" });
    expect(config.redisClusterNodes).toEqual(["a:7000", "b:7001"]);
    expect(config.redisUrl).toBeUndefined();
    expect([config.kafkaReplicationFactor, config.kafkaMinInsyncReplicas]).toEqual([1, 1]);
    expect(() => configFromEnv({ ...base, REDIS_URL: "redis://r:6379", REDIS_CLUSTER_NODES: "a:7000" })).toThrow(/not both/);
    const replicated = configFromEnv({ ...base, KAFKA_BROKERS: "k:9092", KAFKA_REPLICATION_FACTOR: "3", KAFKA_MIN_INSYNC_REPLICAS: "2" });
    expect([replicated.kafkaReplicationFactor, replicated.kafkaMinInsyncReplicas]).toEqual([3, 2]);
    expect(() => configFromEnv({ ...base, KAFKA_MIN_INSYNC_REPLICAS: "0" })).toThrow(/at least 1/);
  });
});

describe("the sharded subscriber's slot-map comparison (ioredis compares JSON of 16,384 slots per refresh)", () => {
  const map = (n: number, shift = 0): string[][] => Array.from({ length: n }, (_, i) => [`10.0.0.${(i + shift) % 3}:7000`, `10.0.0.${(i + shift + 1) % 3}:7001`]);

  it("answers as the JSON comparison does", () => {
    const cases: Array<[string[][] | undefined, Array<string[] | undefined>]> = [
      [map(16_384), map(16_384)],
      [map(16_384), map(16_384, 1)], // another primary per slot
      [map(16_384), map(16_383)],
      [[], map(3)],
      [undefined, map(3)],
      [[["a:1"], ["b:1"]], [["a:1"], ["b:1", "c:1"]]], // a replica added
      [[["a:1"], ["b:1", "c:1"]], [["a:1"], ["b:1", "d:1"]]],
      [[["a:1"], ["b:1"]], [["a:1"], ["b:1"]]],
    ];
    for (const [a, b] of cases) expect(sameSlotMap(a, b)).toBe(a !== undefined && JSON.stringify(a) === JSON.stringify(b));
  });

  it("is what every sharded client's subscriber group uses, duplicates included", () => {
    const client = clusterClient(["127.0.0.1:1"], { sharded: true });
    const duplicate = client.duplicate([], { shardedSubscribers: true }); // as realtime/classes/media-rpc-redis.ts makes one
    try {
      for (const c of [client, duplicate]) {
        c.on("error", () => undefined);
        const group = (c as unknown as { shardedSubscribers: { clusterSlots: string[][]; _slotsAreEqual(o: string[][]): boolean } }).shardedSubscribers;
        group.clusterSlots = map(16_384);
        expect(group._slotsAreEqual(map(16_384))).toBe(true);
        expect(group._slotsAreEqual(map(16_384, 2))).toBe(false);
        expect(group._slotsAreEqual.toString()).toContain("sameSlotMap"); // ours, not ioredis' JSON.stringify
      }
    } finally {
      client.disconnect();
      duplicate.disconnect();
    }
  });
});
