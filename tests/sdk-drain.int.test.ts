import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningInterlinked } from "../app/interlinked";
import { eventually } from "./support/clients";
import { mintToken, startDistributedDeployment } from "./support/nodes";
import { freshTenant, sleep } from "./support/realtime";
import { recordRoom, sdkClients } from "./support/sdk";

// The SDK (sdk/) when its node drains (app:draining): it moves to the other node and rejoins gap-free.
const { client, closeAll } = sdkClients();

describe("SDK across a graceful drain (2 realtime nodes on Redis and Kafka)", () => {
  let d: Awaited<ReturnType<typeof startDistributedDeployment>>;
  beforeAll(async () => {
    d = await startDistributedDeployment(2);
  }, 120_000);
  afterAll(async () => {
    closeAll();
    await d?.close();
  });

  it("is told app:draining, reconnects to the other node, rejoins with recovered: true and misses nothing", async () => {
    const [n0, n1] = d.nodes as [RunningInterlinked, RunningInterlinked];
    const tenant = freshTenant("sdk-drain");
    const ann = client({ url: [n0.url, n1.url], token: await mintToken(tenant, "ann") });
    const bob = client({ url: n1.url, token: await mintToken(tenant, "bob") });
    await Promise.all([ann.ready(), bob.ready()]);
    const seen = recordRoom(ann);
    const told: string[] = [];
    ann.on("app:draining", (info) => told.push(info.reason));
    const rejoined: Array<{ room: string; recovered: boolean; missed: number }> = [];
    ann.on("rejoined", (info) => rejoined.push(info));
    const connectedTo: string[] = [];
    ann.on("connected", (info) => connectedTo.push(info.url));
    await ann.rooms.join("lecture", { since: 0 });
    await bob.rooms.join("lecture");

    const acked: number[] = [];
    let sending = true;
    const bobLoop = (async () => {
      for (let i = 1, extra = 0; sending || extra++ < 10; i++) {
        acked.push((await bob.rooms.send("lecture", `b${i}`)).seq);
        await sleep(20);
      }
    })();
    await eventually(async () => seen.length, (n) => n >= 5);
    await n0.drain(1_000);
    await eventually(async () => rejoined.length, (n) => n >= 1, 15_000);
    sending = false;
    await bobLoop;
    await eventually(async () => seen.length, (n) => n >= acked.length, 10_000);

    expect(told).toHaveLength(1);
    expect(connectedTo).toEqual([n1.url]);
    expect(rejoined).toEqual([expect.objectContaining({ room: "lecture", recovered: true, reason: "reconnect" })]);
    expect(seen.map((m) => m.seq)).toEqual(acked);
    expect(acked).toEqual(Array.from({ length: acked.length }, (_, i) => i + 1));
  }, 40_000);
});
