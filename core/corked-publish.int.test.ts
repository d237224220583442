import { randomUUID } from "node:crypto";
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { redisClients, redisClusterClients } from "../tests/support/redis-clients";
import { corkedPublishes } from "./corked-publish";
import { isCluster, type RedisClient } from "./redis-client";

const redis = redisClients();
const cluster = redisClusterClients();
const clusterSubscriber = redisClusterClients({ sharded: true });

/** Counts the writes on every connection of `client` while `work` runs. */
async function socketWrites(client: RedisClient, work: () => Promise<unknown>): Promise<number> {
  const nodes = isCluster(client) ? client.nodes("all") : [client];
  let writes = 0;
  const restores = nodes.map((node) => {
    const stream = (node as unknown as { stream?: Socket }).stream;
    if (!stream) return () => undefined; // not connected: a write there would open it first
    const write = stream.write.bind(stream);
    stream.write = ((...args: Parameters<Socket["write"]>) => {
      writes++;
      return write(...args);
    }) as Socket["write"];
    return () => {
      stream.write = write;
    };
  });
  try {
    await work();
  } finally {
    restores.forEach((r) => r());
  }
  return writes;
}

describe.each([
  ["Redis", () => redis() as RedisClient, () => redis() as RedisClient, "publish", "subscribe"],
  ["Redis Cluster", () => cluster(), () => clusterSubscriber(), "spublish", "ssubscribe"],
] as const)("corked publishes on %s", (_name, open, subscriber, publish, subscribe) => {
  it("sends one turn's publishes as one write, delivered in call order, each answered with its receivers", async () => {
    const pub = open();
    const sub = subscriber();
    const channel = `corked:{${randomUUID()}}`;
    const received: string[] = [];
    sub.on(publish === "publish" ? "message" : "smessage", (ch: string, message: string) => {
      if (ch === channel && message !== "warm-up") received.push(message);
    });
    await sub[subscribe](channel);
    await pub[publish](channel, "warm-up"); // the connection to the channel's node is up before counting
    const corked = corkedPublishes(pub);
    const messages = Array.from({ length: 200 }, (_, i) => `m${i}`);
    let replies: number[] = [];
    const writes = await socketWrites(pub, async () => {
      replies = await Promise.all(messages.map((m) => corked[publish](channel, m) as Promise<number>));
    });
    expect(replies).toEqual(messages.map(() => 1));
    expect(writes).toBe(1);
    await expect.poll(() => received.length).toBe(messages.length);
    expect(received).toEqual(messages);
  });

  it("passes every other command through, and rejects the publishes of a closed connection", async () => {
    const client = open();
    const corked = corkedPublishes(client);
    expect(await corked.ping()).toBe("PONG");
    const key = `corked:${randomUUID()}`;
    await corked.set(key, "v");
    expect(await corked.get(key)).toBe("v");
    await corked.del(key);
    expect(await corked[publish](`corked:{${key}}`, "nobody listens")).toBe(0);
    client.disconnect();
    await expect(Promise.all([corked[publish](`corked:{${key}}`, "a"), corked[publish](`corked:{${key}}`, "b")])).rejects.toThrow();
  });
});
