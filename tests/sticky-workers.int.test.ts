import { afterAll, describe, expect, it } from "vitest";
import type { RoomMessageDelivery } from "../core/events";
import { openDatabase } from "../db/database";
import { spawnInterlinked, waitReady, type ChildInterlinked } from "../tools/services/interlinked-child";
import { freePort } from "../tools/services/process";
import { connectClient, emitWithAck, nextEvent, type TestClient } from "./support/clients";
import { TEST_SECRET, mintToken } from "./support/nodes";
import { createTestDatabase, serviceEnv, testNamespace } from "./support/services";

describe("REALTIME_WORKERS: Node cluster workers behind @socket.io/sticky", () => {
  let primary: ChildInterlinked | undefined;
  const clients: TestClient[] = [];
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await primary?.stop("SIGTERM");
  });

  it("keeps long-polling sessions on their worker and shares rooms across workers", async () => {
    const databaseUrl = await createTestDatabase();
    const db = await openDatabase({ url: databaseUrl });
    await db.migrate();
    await db.close();
    const port = await freePort();
    primary = spawnInterlinked({
      ROLES: "realtime,api",
      REALTIME_WORKERS: "2",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: databaseUrl,
      REDIS_URL: serviceEnv("REDIS_URL"),
      KAFKA_BROKERS: serviceEnv("KAFKA_BROKERS"),
      NAMESPACE: testNamespace(),
      AUTH_SECRET: TEST_SECRET,
    });
    const url = `http://127.0.0.1:${port}`;
    await waitReady(url, 60_000);
    // polling clients need every request of their session on the same worker, or Engine.IO answers "Session ID unknown"
    for (const user of ["p1", "p2", "p3", "p4"]) clients.push(await connectClient(url, await mintToken("school-s", user), ["polling"]));
    for (const c of clients) await emitWithAck(c, "room:join", { room: "lobby" });
    const received = Promise.all(clients.slice(1).map((c) => nextEvent<RoomMessageDelivery>(c, "room:message")));
    expect(await emitWithAck(clients[0] as TestClient, "room:message", { room: "lobby", text: "to every worker" })).toMatchObject({ seq: 1 });
    expect((await received).map((m) => m.text)).toEqual(["to every worker", "to every worker", "to every worker"]);
    const members = (await emitWithAck(clients[3] as TestClient, "room:members", { room: "lobby" })) as { members: Array<{ user: string }> };
    expect(members.members.map((m) => m.user)).toEqual(["p1", "p2", "p3", "p4"]);
    expect(primary.output()).toMatch(/with 2 sticky workers/);
    expect((primary.output().match(/listening on the sticky primary's port/g) ?? []).length).toBe(2);
  }, 90_000);
});
