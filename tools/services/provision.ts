import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureKafkaJars, kafkaAnswers, startKafka } from "./kafka";
import { ensureGoTool } from "./go-tools";
import { ensureMediasoupWorker } from "./mediasoup";
import { ensureSchemathesis } from "./schemathesis";
import { ensureCommands, type Requirement } from "./packages";
import { postgresAnswers, startPostgres } from "./postgres";
import type { ServiceProcess } from "./process";
import { redisAnswers, startRedis } from "./redis";
import { redisClusterAnswers, startRedisCluster } from "./redis-cluster";

/** What the tests (and local clusters) get: URLs of real services and paths of real binaries. */
export interface ServiceEnv {
  REDIS_URL: string;
  /** A Redis Cluster (3 primaries + 3 replicas) as `host:port,...`, for the contract suites' cluster backend. */
  REDIS_CLUSTER_NODES: string;
  DATABASE_URL: string;
  KAFKA_BROKERS: string;
  NGINX_BIN: string;
  MEDIASOUP_WORKER_BIN: string;
  /** k6 for the load-test scripts and kustomize for the k8s manifests (built from source with Go once). */
  K6_BIN: string;
  KUSTOMIZE_BIN: string;
  /** Jaeger all-in-one (built with Go once): the tracing test starts its own instance (tools/services/jaeger.ts). */
  JAEGER_BIN: string;
  /** schemathesis (PyPI, in a cached virtualenv) for the OpenAPI fuzz test. */
  SCHEMATHESIS_BIN: string;
  /** Chromium (Debian's `chromium` package) for the browser tests, driven by playwright-core. */
  CHROMIUM_BIN: string;
  /** ffmpeg and ffprobe (Debian's `ffmpeg` package): class recording and its tests. */
  FFMPEG_BIN: string;
  FFPROBE_BIN: string;
  /** Java and cached Kafka jars, for tests that run a broker of their own (to restart it). */
  JAVA_BIN: string;
  KAFKA_LIB_DIR: string;
}

/** The variables through which a caller hands over services it already runs (the rest are started or built). */
const GIVEN = ["REDIS_URL", "REDIS_CLUSTER_NODES", "DATABASE_URL", "KAFKA_BROKERS", "NGINX_BIN", "MEDIASOUP_WORKER_BIN", "K6_BIN", "KUSTOMIZE_BIN", "JAEGER_BIN", "SCHEMATHESIS_BIN", "CHROMIUM_BIN", "FFMPEG_BIN", "FFPROBE_BIN"] as const;

/** What `env` (usually process.env) already names of the services, for provisionServices: one list for every caller. */
export function givenServices(env: NodeJS.ProcessEnv): Partial<Record<keyof ServiceEnv, string>> {
  return Object.fromEntries(GIVEN.map((name) => [name, env[name] || undefined]));
}

export interface ProvisionedServices {
  env: ServiceEnv;
  /** The temp dir holding the services' data and, in `logs/`, their logs (left by `stop({ keepLogs: true })`). */
  dir: string;
  stop(options: { keepLogs: boolean }): Promise<void>;
}

const pgVersions = ["15", "16", "17"];
export const requirements = (need: { redis: boolean; postgres: boolean }): Requirement[] => [
  ...(need.redis ? [{ what: "redis-server", candidates: ["redis-server"], aptPackage: "redis-server" }] : []),
  ...(need.postgres
    ? [{ what: "postgres", candidates: [...pgVersions.map((v) => `/usr/lib/postgresql/${v}/bin/postgres`)], aptPackage: "postgresql" }]
    : []),
  { what: "java", candidates: ["java"], aptPackage: "openjdk-17-jre-headless" },
  { what: "mvn", candidates: ["mvn"], aptPackage: "maven" },
  { what: "nginx", candidates: ["/usr/sbin/nginx", "nginx"], aptPackage: "nginx" },
  { what: "chromium", candidates: ["/usr/bin/chromium", "chromium"], aptPackage: "chromium" },
  { what: "ffmpeg", candidates: ["/usr/bin/ffmpeg", "ffmpeg"], aptPackage: "ffmpeg" },
  { what: "ffprobe", candidates: ["/usr/bin/ffprobe", "ffprobe"], aptPackage: "ffmpeg" },
];

async function timed<T>(name: string, log: (l: string) => void, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await work();
    log(`${name} ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return result;
  } catch (err) {
    throw new Error(`${name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

async function mustAnswer(name: string, url: string, check: () => Promise<boolean>): Promise<string> {
  if (!(await check().catch(() => false))) throw new Error(`${name} at ${url} (from the environment) does not answer`);
  return url;
}

/**
 * Makes Redis, a Redis Cluster, PostgreSQL, Kafka (KRaft), nginx, Chromium, a mediasoup worker, the Go-built tools (k6, kustomize, Jaeger) and schemathesis available: URLs from `given`
 * (REDIS_URL, REDIS_CLUSTER_NODES, DATABASE_URL, KAFKA_BROKERS) are used as they are; otherwise throwaway instances start in
 * parallel on free loopback ports with temp data dirs, installing missing Debian packages when root.
 */
export async function provisionServices(given: Partial<Record<keyof ServiceEnv, string>>, log: (line: string) => void): Promise<ProvisionedServices> {
  const started = performance.now();
  const root = mkdtempSync(join(tmpdir(), "interlinked-services-"));
  chmodSync(root, 0o755); // the postgres user must reach its data dir below it
  const logDir = join(root, "logs");
  mkdirSync(logDir);
  const procs: ServiceProcess[] = [];
  const stop = async ({ keepLogs }: { keepLogs: boolean }): Promise<void> => {
    await Promise.allSettled(procs.map((p) => p.stop()));
    if (keepLogs) {
      for (const d of ["redis", "redis-cluster", "postgres", "kafka"]) rmSync(join(root, d), { recursive: true, force: true });

    } else {
      rmSync(root, { recursive: true, force: true });
    }
  };
  try {
    const need = { redis: !given.REDIS_URL || !given.REDIS_CLUSTER_NODES, postgres: !given.DATABASE_URL };
    const bins = await ensureCommands(requirements(need), log);
    const dir = (name: string): string => {
      const d = join(root, name);
      mkdirSync(d);
      return d;
    };
    const jars = ensureKafkaJars(bins.get("mvn") as string, log);
    jars.catch(() => undefined);
    const settled = await Promise.allSettled([
      timed("redis", log, async () => {
        if (given.REDIS_URL) return mustAnswer("redis", given.REDIS_URL, () => redisAnswers(given.REDIS_URL as string));
        const r = await startRedis(bins.get("redis-server") as string, dir("redis"), logDir);
        procs.push(r.proc);
        return r.url;
      }),
      timed("redis cluster", log, async () => {
        if (given.REDIS_CLUSTER_NODES) return mustAnswer("redis cluster", given.REDIS_CLUSTER_NODES, () => redisClusterAnswers(given.REDIS_CLUSTER_NODES as string));
        const c = await startRedisCluster(bins.get("redis-server") as string, dir("redis-cluster"), logDir);
        procs.push(...c.members.map((m) => m.proc));
        return c.nodes;
      }),
      timed("postgres", log, async () => {
        if (given.DATABASE_URL) return mustAnswer("postgres", given.DATABASE_URL, () => postgresAnswers(given.DATABASE_URL as string));
        const p = await startPostgres(bins.get("postgres") as string, dir("postgres"), logDir);
        procs.push(p.proc);
        return p.url;
      }),
      timed("kafka", log, async () => {
        if (given.KAFKA_BROKERS) {
          return mustAnswer("kafka", given.KAFKA_BROKERS, () => kafkaAnswers((given.KAFKA_BROKERS as string).split(",")));
        }
        const k = await startKafka(bins.get("java") as string, await jars, dir("kafka"), logDir);
        procs.push(k.proc);
        return k.brokers;
      }),
      timed("mediasoup worker", log, () => ensureMediasoupWorker(given.MEDIASOUP_WORKER_BIN, log)),
      timed("kafka jars", log, () => jars),
      timed("k6", log, () => ensureGoTool("k6", given.K6_BIN, log)),
      timed("kustomize", log, () => ensureGoTool("kustomize", given.KUSTOMIZE_BIN, log)),
      timed("jaeger", log, () => ensureGoTool("jaeger", given.JAEGER_BIN, log)),
      timed("schemathesis", log, () => ensureSchemathesis(given.SCHEMATHESIS_BIN, log)),
    ]);
    const failures = settled.flatMap((r) => (r.status === "rejected" ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : []));
    if (failures.length > 0) throw new Error(`services could not be provisioned:\n  - ${failures.join("\n  - ")}`);
    const [redis, redisCluster, postgres, kafka, mediasoup, kafkaLib, k6, kustomize, jaeger, schemathesis] = settled.map((r) => (r.status === "fulfilled" ? r.value : ""));
    const env: ServiceEnv = {
      REDIS_URL: redis as string,
      REDIS_CLUSTER_NODES: redisCluster as string,
      DATABASE_URL: postgres as string,
      KAFKA_BROKERS: kafka as string,
      NGINX_BIN: given.NGINX_BIN ?? (bins.get("nginx") as string),
      MEDIASOUP_WORKER_BIN: mediasoup as string,
      JAVA_BIN: bins.get("java") as string,
      KAFKA_LIB_DIR: kafkaLib as string,
      K6_BIN: k6 as string,
      KUSTOMIZE_BIN: kustomize as string,
      JAEGER_BIN: jaeger as string,
      SCHEMATHESIS_BIN: schemathesis as string,
      CHROMIUM_BIN: given.CHROMIUM_BIN ?? (bins.get("chromium") as string),
      FFMPEG_BIN: given.FFMPEG_BIN ?? (bins.get("ffmpeg") as string),
      FFPROBE_BIN: given.FFPROBE_BIN ?? (bins.get("ffprobe") as string),
    };
    log(`all services ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(env)}`);
    return { env, dir: root, stop };
  } catch (err) {
    await stop({ keepLogs: true });
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n(service logs kept in ${logDir})`, { cause: err });
  }
}
