import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { locate } from "../../tools/services/packages";
import { startRedisCluster, type RedisClusterInstance } from "../../tools/services/redis-cluster";
import { startDistributedDeployment, type Deployment } from "./nodes";

export interface OwnClusterDeployment {
  cluster: RedisClusterInstance;
  deployment: Deployment & { namespace: string };
  /** Stops the deployment and the cluster and removes their directory. */
  close(): Promise<void>;
}

/**
 * A Redis Cluster of the test's own (3 primaries + 3 replicas; `nodeTimeoutMs` is cluster-node-timeout, how
 * long a silent primary has before its replica takes over) under `realtimeNodes` realtime nodes and a worker,
 * for tests that kill or stop cluster nodes without touching the shared services.
 */
export async function startOwnClusterDeployment(name: string, nodeTimeoutMs: number, realtimeNodes = 2): Promise<OwnClusterDeployment> {
  const dir = mkdtempSync(join(tmpdir(), `interlinked-${name}-`));
  mkdirSync(join(dir, "logs"));
  const redisServer = await locate({ what: "redis-server", candidates: ["redis-server"], aptPackage: "redis-server" });
  if (!redisServer) throw new Error("redis-server is not installed (the global setup installs it)");
  const cluster = await startRedisCluster(redisServer, dir, join(dir, "logs"), { nodeTimeoutMs, name });
  const deployment = await startDistributedDeployment(realtimeNodes, () => ({}), { clusterNodes: cluster.nodes.split(",") }).catch(async (err: unknown) => {
    await cluster.stop();
    throw err;
  });
  return {
    cluster,
    deployment,
    close: async () => {
      await deployment.close();
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
