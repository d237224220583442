import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TokenService, type Role } from "../../core/auth";
import { authDefaults, realtimeDefaults, type InterlinkedConfig, type ProcessRole } from "../../core/config";
import { publishEvents, type StreamEvent, type StreamName } from "../../core/contracts/streams";
import { openDatabase } from "../../db/database";
import { startInterlinked, type RunningInterlinked } from "../../scripts/interlinked";
import { createTestDatabase, serviceEnv, testNamespace } from "./services";

export const TEST_SECRET = "test-secret-that-is-at-least-32-bytes-long";
export const testTokens = new TokenService({ ...authDefaults, secret: TEST_SECRET });

export function mintToken(tenant: string, user: string, role: Role = "student", ttlSeconds?: number): Promise<string> {
  return testTokens.sign({ tenant, user, role, ttlSeconds });
}

/** A config for tests: free port on loopback, test secret, embedded unless URLs are given. */
export function testConfig(overrides: Partial<InterlinkedConfig> & { roles?: ReadonlySet<ProcessRole> }): InterlinkedConfig {
  return {
    port: 0,
    host: "127.0.0.1",
    roles: new Set<ProcessRole>(["realtime", "api", "workers"]),
    nodeId: `test-${process.pid}`,
    namespace: "il",
    kafkaPublishTimeoutMs: 30_000,
    dataDir: join(tmpdir(), "interlinked-test-data"), // only used by embedded tests, which pass their own
    migrateOnStart: false,
    devTokens: true,
    auth: { ...authDefaults, secret: TEST_SECRET },
    realtime: { ...realtimeDefaults },
    ...overrides,
  };
}

/** A set of running processes forming one deployment, and how to reach and stop them. */
export interface Deployment {
  /** Realtime + API nodes clients connect to. */
  nodes: RunningInterlinked[];
  /** Writes events to the deployment's bus, as the realtime tier would. */
  publish<S extends StreamName>(stream: S, events: StreamEvent<S>[]): Promise<void>;
  close(): Promise<void>;
}

/** The embedded default: one process, PGlite in a temp dir, in-memory bus. */
export async function startEmbeddedDeployment(): Promise<Deployment> {
  const dataDir = mkdtempSync(join(tmpdir(), "interlinked-embedded-"));
  const node = await startInterlinked(testConfig({ dataDir, migrateOnStart: true }));
  return {
    nodes: [node],
    publish: (stream, events) => publishEvents(node.bus, stream, events),
    close: async () => {
      await node.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The distributed mode: `realtimeNodes` realtime+API nodes on the Redis adapter, Kafka, one worker process, PostgreSQL. */
export async function startDistributedDeployment(realtimeNodes = 2): Promise<Deployment> {
  const databaseUrl = await createTestDatabase();
  const migrator = await openDatabase({ url: databaseUrl });
  await migrator.migrate();
  await migrator.close();
  const shared = {
    databaseUrl,
    redisUrl: serviceEnv("REDIS_URL"),
    kafkaBrokers: serviceEnv("KAFKA_BROKERS").split(","),
    namespace: testNamespace(),
  };
  const worker = await startInterlinked(testConfig({ ...shared, nodeId: "worker", roles: new Set(["workers"]) }));
  const nodes: RunningInterlinked[] = [];
  for (let i = 0; i < realtimeNodes; i++) {
    nodes.push(await startInterlinked(testConfig({ ...shared, nodeId: `node-${i}`, roles: new Set(["realtime", "api"]) })));
  }
  return {
    nodes,
    publish: (stream, events) => publishEvents((nodes[0] as RunningInterlinked).bus, stream, events),
    close: async () => {
      await Promise.all(nodes.map((n) => n.close()));
      await worker.close();
    },
  };
}
