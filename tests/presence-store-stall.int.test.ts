import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { presenceNodeSetKey } from "../realtime/presence/presence-store-redis";
import { NODE_TTL_MS } from "../realtime/node-liveness";
import type { RedisClusterInstance } from "../tools/services/redis-cluster";
import { startOwnClusterDeployment } from "./support/cluster-deployment";
import { connectClient, emitWithAck, eventually, type TestClient } from "./support/clients";
import { mintToken, type Deployment } from "./support/nodes";
import { freshTenant, sleep } from "./support/realtime";

/** How long the primary holding the node set is stopped: past the node TTL, as a slow failover would be. */
const STALL_MS = NODE_TTL_MS + 3_000;

/**
 * Two realtime nodes on a Redis Cluster of its own whose cluster-node-timeout (30 s) outlasts the test: the
 * primary serving the presence node set (every node's liveness beat) is stopped with SIGSTOP for longer than
 * the node TTL, then continued, as a failover slower than the node TTL would stall it. No node was dead, so no
 * user may read offline: before ReapGate (realtime/node-liveness.ts), the first node whose beat got through
 * reaped the other, whose last beat was old only because of the store.
 */
describe("presence when the node set's Redis primary stalls past the node TTL", () => {
  let cluster: RedisClusterInstance;
  let deployment: Deployment & { namespace: string };
  let close: () => Promise<void> = async () => undefined;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    ({ cluster, deployment, close } = await startOwnClusterDeployment("stall", 30_000));
  }, 120_000);

  afterAll(async () => {
    clients.forEach((c) => c.close());
    await close();
  });

  it("keeps the other node's users online through the stall and after it", async () => {
    const tenant = freshTenant("stall");
    const connect = async (node: number, user: string): Promise<TestClient> => {
      const c = await connectClient((deployment.nodes[node] as { url: string }).url, await mintToken(tenant, user));
      clients.push(c);
      return c;
    };
    const ann = await connect(0, "ann");
    await connect(1, "bob");
    const statuses = async (): Promise<Record<string, string>> => ((await emitWithAck(ann, "presence:query", { users: ["ann", "bob"] })) as { statuses: Record<string, string> }).statuses;
    await eventually(statuses, (s) => s.ann === "online" && s.bob === "online");
    await sleep(NODE_TTL_MS); // both nodes past their first node TTL of beats

    const holder = await cluster.primaryOf(presenceNodeSetKey(`${deployment.namespace}:`));
    const member = cluster.members.find((m) => `127.0.0.1:${m.port}` === holder);
    if (!member) throw new Error(`no cluster member ${holder}`);
    member.proc.child.kill("SIGSTOP");
    await sleep(STALL_MS);
    member.proc.child.kill("SIGCONT");

    // sample from the moment the store answers again until well past a node TTL and a re-registration's beats
    const wrong: string[] = [];
    let samples = 0;
    for (const until = Date.now() + NODE_TTL_MS + 4_000; Date.now() < until; await sleep(100)) {
      const s = await statuses();
      samples++;
      if (s.ann !== "online" || s.bob !== "online") wrong.push(JSON.stringify(s));
    }
    expect(samples).toBeGreaterThan(20);
    expect(wrong).toEqual([]); // before: {"ann":"offline","bob":"offline"} in 7 samples (each node reaped the other)
  }, 90_000);
});
