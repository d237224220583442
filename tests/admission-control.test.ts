import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../core/errors";
import { realtimeDefaults } from "../core/config";
import { eventually } from "./support/clients";
import { scrape, startEmbeddedDeployment, type Deployment } from "./support/nodes";
import { ack, clientPool, freshTenant, sleep } from "./support/realtime";

/** Keeps this process's event loop busy (the embedded node runs in it) for `ms`, yielding briefly so timers still fire late. */
async function saturate(ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const until = Date.now() + 150;
    while (Date.now() < until);
    await new Promise((r) => setImmediate(r));
  }
}

describe("admission control (embedded node)", () => {
  let deployment: Deployment;
  const pool = clientPool(() => deployment);
  beforeAll(async () => {
    deployment = await startEmbeddedDeployment({ realtime: { ...realtimeDefaults, overloadLagMs: 100 } });
  }, 60_000);
  afterAll(async () => {
    pool.closeAll();
    await deployment?.close();
  });

  it("refuses room messages with 5005 (temporary) while the node is saturated, stores none of them, and accepts again after", async () => {
    const t = freshTenant("busy");
    const [sender, reader] = [await pool.connect(0, t, "ann"), await pool.connect(0, t, "bob")];
    await ack(sender, "room:join", { room: "r" });
    await ack(reader, "room:join", { room: "r" });
    const gauge = async () => /^interlinked_node_overloaded\{[^}]*\} (\d)$/m.exec(await scrape(deployment.nodes[0]!.url))?.[1];
    // the guard's first windows cover the node's start and these connections: let it see an idle one first
    await sleep(1_100);
    await eventually(gauge, (g) => g === "0", 8_000);
    expect(await ack(sender, "room:message", { room: "r", text: "before" })).toMatchObject({ seq: 1 });
    await saturate(2_300); // two full 1-second windows
    const refused = await ack(sender, "room:message", { room: "r", text: "during" });
    expect(refused.error).toMatchObject({ code: ErrorCode.Overloaded, temporary: true, retryAfterMs: expect.any(Number) }); // the wait it asks for (LoadGuard)
    const metrics = await scrape(deployment.nodes[0]!.url);
    expect(metrics).toMatch(/^interlinked_node_overloaded\{[^}]*\} 1$/m);
    await eventually(gauge, (g) => g === "0", 8_000); // idle windows give the admitted share back
    expect(await ack(sender, "room:message", { room: "r", text: "after" })).toMatchObject({ seq: 2 });
    const back = await eventually(() => ack(reader, "room:join", { room: "r", since: 0 }), (r) => Array.isArray(r.messages));
    expect((back.messages as Array<{ text: string }>).map((m) => m.text)).toEqual(["before", "after"]);
  }, 30_000);
});
