import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TokenService, type Role } from "../../core/auth";
import { authDefaults, mediaDefaults, realtimeDefaults, tracingDefaults, webhookDefaults, type InterlinkedConfig, type ProcessRole } from "../../core/config";
import { logLevelFrom } from "../../core/config-env";
import { publishEvents, type StreamEvent, type StreamName } from "../../core/contracts/streams";
import { KafkaEventBus } from "../../core/bus/event-bus-kafka";
import { openDatabase } from "../../db/database";
import { spawnInterlinked, waitReady, type ChildInterlinked } from "../../tools/services/interlinked-child";
import { freePort } from "../../tools/services/process";
import { startInterlinked, type RunningInterlinked } from "../../app/interlinked";
import { copyPgliteTemplate } from "./pglite";
import { createTestDatabase, serviceEnv, testNamespace } from "./services";

export const TEST_SECRET = "test-secret-that-is-at-least-32-bytes-long";
/** The METRICS_TOKEN of test nodes: GET /metrics with it includes tenant-labelled series. */
export const TEST_METRICS_TOKEN = "test-metrics-token";
/**
 * Test deployments' idle Kafka fetch wait (KAFKA_CONSUMER_MAX_WAIT_MS): a consumer's stop waits for its
 * fetch in flight, and with kafkajs' 5 s a deployment took 6–10 s to close (every test file pays it).
 */
const TEST_CONSUMER_MAX_WAIT_MS = 500;
/** GET /metrics of a test node, as its Prometheus (with the bearer token). */
export async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TEST_METRICS_TOKEN}` } })).text();
}
export const testTokens = new TokenService({ ...authDefaults, secret: TEST_SECRET });

export function mintToken(tenant: string, user: string, role: Role = "student", ttlSeconds?: number): Promise<string> {
  return testTokens.sign({ tenant, user, role, ttlSeconds });
}

/**
 * A config for tests: free port on loopback, test secret, embedded unless URLs are given; LOG_LEVEL from
 * the environment, tracing off. Admission
 * control (realtime/load-guard.ts) is off: an in-process node shares its event loop with the test's own
 * clients and with whatever else loads the machine, so it would judge the test, not itself. It is tested
 * where it is turned on (realtime/load-guard.test.ts, tests/admission-control.test.ts) and stays on in the
 * process deployments (startProcessDeployment), which read the defaults from the environment.
 */
export function testConfig(overrides: Partial<InterlinkedConfig> & { roles?: ReadonlySet<ProcessRole> }): InterlinkedConfig {
  return {
    port: 0,
    host: "127.0.0.1",
    roles: new Set<ProcessRole>(["realtime", "api", "workers"]),
    nodeId: `test-${process.pid}`,
    namespace: "il",
    kafkaPublishTimeoutMs: 30_000,
    kafkaConsumerMaxWaitMs: TEST_CONSUMER_MAX_WAIT_MS,
    dataDir: join(tmpdir(), "interlinked-test-data"), // only used by embedded tests, which pass their own
    migrateOnStart: false,
    devTokens: true,
    metricsToken: TEST_METRICS_TOKEN,
    auth: { ...authDefaults, secret: TEST_SECRET },
    realtime: { ...realtimeDefaults, overloadLagMs: 0 },
    media: { ...mediaDefaults },
    logLevel: logLevelFrom(process.env.LOG_LEVEL),
    tracing: { ...tracingDefaults },
    // tests deliver webhooks to receivers on loopback
    webhooks: { ...webhookDefaults, allowPrivate: true },
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

/** The embedded default: one process, PGlite in a temp dir (a copy of the migrated template), in-memory bus. */
export async function startEmbeddedDeployment(overrides: Partial<InterlinkedConfig> = {}): Promise<Deployment> {
  const dataDir = mkdtempSync(join(tmpdir(), "interlinked-embedded-"));
  copyPgliteTemplate(join(dataDir, "pglite")); // where the embedded node keeps PGlite (app/infrastructure.ts)
  const node = await startInterlinked(testConfig({ dataDir, migrateOnStart: true, ...overrides }));
  return {
    nodes: [node],
    publish: (stream, events) => publishEvents(node.bus, stream, events),
    close: async () => {
      await node.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The distributed mode: `realtimeNodes` realtime+API nodes on the Redis adapter, Kafka, one worker
 * process, PostgreSQL. `redis`: the provisioned single Redis (default), the provisioned Redis Cluster
 * (REDIS_CLUSTER_NODES: sharded adapter), or the given cluster seed nodes.
 */
export async function startDistributedDeployment(
  realtimeNodes = 2,
  perNode: (index: number) => Partial<InterlinkedConfig> = () => ({}),
  redis: "single" | "cluster" | { clusterNodes: string[] } = "single",
): Promise<Deployment & { namespace: string; databaseUrl: string }> {
  const databaseUrl = await createTestDatabase();
  const migrator = await openDatabase({ url: databaseUrl });
  await migrator.migrate();
  await migrator.close();
  const shared = {
    databaseUrl,
    ...(redis === "single"
      ? { redisUrl: serviceEnv("REDIS_URL") }
      : { redisClusterNodes: redis === "cluster" ? serviceEnv("REDIS_CLUSTER_NODES").split(",") : redis.clusterNodes }),
    kafkaBrokers: serviceEnv("KAFKA_BROKERS").split(","),
    namespace: testNamespace(),
  };
  const worker = await startInterlinked(testConfig({ ...shared, nodeId: "worker", roles: new Set(["workers"]) }));
  const nodes: RunningInterlinked[] = [];
  for (let i = 0; i < realtimeNodes; i++) {
    nodes.push(await startInterlinked(testConfig({ ...shared, nodeId: `${shared.namespace}-node-${i}`, roles: new Set(["realtime", "api"]), ...perNode(i) })));
  }
  return {
    nodes,
    namespace: shared.namespace,
    databaseUrl,
    publish: (stream, events) => publishEvents((nodes[0] as RunningInterlinked).bus, stream, events),
    close: async () => {
      await Promise.all(nodes.map((n) => n.close()));
      await worker.close();
    },
  };
}

/** A node of a process deployment: its URL and the child process behind it. */
export interface ProcessNode extends Pick<RunningInterlinked, "url"> {
  child: ChildInterlinked;
}

/**
 * The distributed mode as real processes (`npm start` entry point each): `realtimeNodes` realtime+API
 * nodes on the given engine and one worker, on Redis, Kafka and PostgreSQL (`env` is added to every process's). Needed where nodes must not
 * share a process (uWebSockets.js patches Socket.IO's adapter per process) and to kill -9 a node.
 */
export async function startProcessDeployment(
  realtimeNodes: number,
  options: { engine: "ws" | "uws"; perNode?: (index: number) => Record<string, string>; env?: Record<string, string> },
): Promise<Deployment & { namespace: string; processes: ProcessNode[]; restart(index: number): Promise<void> }> {
  const databaseUrl = await createTestDatabase();
  const migrator = await openDatabase({ url: databaseUrl });
  await migrator.migrate();
  await migrator.close();
  const namespace = testNamespace();
  const base = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: serviceEnv("REDIS_URL"),
    KAFKA_BROKERS: serviceEnv("KAFKA_BROKERS"),
    NAMESPACE: namespace,
    AUTH_SECRET: TEST_SECRET,
    METRICS_TOKEN: TEST_METRICS_TOKEN,
    REALTIME_ENGINE: options.engine,
    HOST: "127.0.0.1",
    DRAIN_GRACE_MS: "2000",
    KAFKA_CONSUMER_MAX_WAIT_MS: String(TEST_CONSUMER_MAX_WAIT_MS),
    MEDIA: "0", // live classes are tested on their own deployments (tests/live-class*.int.test.ts)
    ...options.env,
  };
  const start = async (env: Record<string, string>): Promise<ProcessNode> => {
    const port = await freePort();
    const child = spawnInterlinked({ ...base, ...env, PORT: String(port) });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitReady(url, 60_000);
    } catch (err) {
      await child.stop("SIGKILL");
      throw new Error(`${env.NODE_ID} did not start: ${child.output().slice(-2000)}`, { cause: err });
    }
    return { url, child };
  };
  // the worker starts with the nodes: its consumers read from the beginning, so nothing a node publishes first is missed
  const [worker, ...processes] = await Promise.all([
    start({ ROLES: "workers", NODE_ID: `${namespace}-worker` }),
    ...Array.from({ length: realtimeNodes }, (_, i) => start({ ROLES: "realtime,api", NODE_ID: `${namespace}-node-${i}`, ...options.perNode?.(i) })),
  ]);
  const bus = new KafkaEventBus({ brokers: base.KAFKA_BROKERS.split(","), namespace, clientId: `${namespace}-test` });
  const deployment = {
    namespace,
    processes,
    get nodes() {
      return processes.map((p) => ({ url: p.url }) as RunningInterlinked);
    },
    publish: <S extends StreamName>(stream: S, events: StreamEvent<S>[]) => publishEvents(bus, stream, events),
    async restart(index: number) {
      processes[index] = await start({ ROLES: "realtime,api", NODE_ID: `${namespace}-node-${index}-${Date.now()}`, ...options.perNode?.(index) });
    },
    close: async () => {
      await Promise.all([...processes, worker].map((p) => p.child.stop("SIGTERM")));
      await bus.close();
    },
  };
  return deployment;
}
