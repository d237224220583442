import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import { freePort, spawnService, waitUntil, type ServiceProcess } from "./process";

const run = promisify(execFile);

/** One combined broker+controller of a test cluster. */
export interface KafkaClusterMember {
  nodeId: number;
  /** `127.0.0.1:port` of its PLAINTEXT listener. */
  address: string;
  /** The running process (replaced by `restart`). */
  proc: ServiceProcess;
  dir: string;
  /** Its server.properties. */
  props: string;
}

export interface KafkaClusterInstance {
  /** Every broker's address, comma-separated (KAFKA_BROKERS). */
  brokers: string;
  members: KafkaClusterMember[];
  /** kill -9 of a broker; the others elect new partition leaders from the in-sync replicas. */
  kill(nodeId: number): Promise<void>;
  /** Starts a killed (or stopped) broker again on its data, and resolves once the cluster lists every broker. */
  restart(nodeId: number): Promise<void>;
  stop(): Promise<void>;
}

/** Whether `brokers` form a cluster of `expected` live brokers with an active controller. */
async function clusterAnswers(brokers: string[], expected: number): Promise<boolean> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1_000 }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length === expected && cluster.controller !== null;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * A Kafka cluster in KRaft mode of `size` (default 3) combined broker+controller processes on free
 * loopback ports: `controller.quorum.voters` names all of them, internal topics are replicated `size`
 * times with min.insync.replicas 2, and so are topics created without a replication factor. A killed
 * broker is fenced after broker.session.timeout.ms (3 s), and its partitions' leadership moves to
 * in-sync replicas. Heaps are capped at 256 MB each (the log cleaner's buffer at 16 MB). `jit: "c1"` stops
 * the JVM's tiered compilation at its first tier (`-XX:TieredStopAtLevel=1`): less CPU spent compiling on a
 * machine the brokers share with everything else, at some cost in the brokers' peak throughput.
 */
export async function startKafkaCluster(java: string, lib: string, dir: string, logDir: string, options: { size?: number; jit?: "c1" | "c2" } = {}): Promise<KafkaClusterInstance> {
  const size = options.size ?? 3;
  const jitArgs = options.jit === "c1" ? ["-XX:TieredStopAtLevel=1"] : [];
  const ports = await Promise.all(Array.from({ length: size * 2 }, () => freePort()));
  const nodes = Array.from({ length: size }, (_, i) => ({ nodeId: i + 1, port: ports[2 * i] as number, controllerPort: ports[2 * i + 1] as number }));
  const voters = nodes.map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}`).join(",");
  const minInsync = Math.min(2, size);
  const classpath = `${lib}/*`;
  const log4j = join(dir, "log4j.properties");
  writeFileSync(log4j, "log4j.rootLogger=WARN, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\nlog4j.appender.stdout.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n");
  const clusterId = randomBytes(16).toString("base64url");
  const members: KafkaClusterMember[] = [];
  const start = (nodeId: number, nodeDir: string, props: string): ServiceProcess =>
    spawnService({
      name: `kafka-${nodeId}`,
      command: java,
      args: ["-Xms128m", "-Xmx256m", "-XX:+UseG1GC", ...jitArgs, "-Djava.awt.headless=true", `-Dlog4j.configuration=file:${log4j}`, "-cp", classpath, "kafka.Kafka", props],
      logFile: join(logDir, `kafka-${nodeId}.log`),
      cwd: nodeDir,
    });
  const stop = async (): Promise<void> => {
    await Promise.allSettled(members.map((m) => m.proc.stop(10_000)));
  };
  try {
    for (const node of nodes) {
      const nodeDir = join(dir, `broker-${node.nodeId}`);
      mkdirSync(nodeDir, { recursive: true });
      const props = join(nodeDir, "server.properties");
      writeFileSync(
        props,
        [
          "process.roles=broker,controller",
          `node.id=${node.nodeId}`,
          `controller.quorum.voters=${voters}`,
          `listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
          `advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}`,
          "controller.listener.names=CONTROLLER",
          "inter.broker.listener.name=PLAINTEXT",
          "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
          `log.dirs=${join(nodeDir, "data")}`,
          "num.partitions=1",
          "auto.create.topics.enable=false",
          `default.replication.factor=${size}`,
          `min.insync.replicas=${minInsync}`,
          `offsets.topic.replication.factor=${size}`,
          "offsets.topic.num.partitions=4",
          `transaction.state.log.replication.factor=${size}`,
          `transaction.state.log.min.isr=${minInsync}`,
          "group.initial.rebalance.delay.ms=0",
          "broker.session.timeout.ms=3000",
          "broker.heartbeat.interval.ms=500",
          "unclean.leader.election.enable=false",
          // the log cleaner's dedupe buffer (128 MB by default) does not fit a 256 MB heap beside a log
          // recovery: a broker restarted after kill -9 died of OutOfMemoryError starting its LogManager
          "log.cleaner.dedupe.buffer.size=16777216",
          "",
        ].join("\n"),
      );
      await run(java, ["-Xmx256m", "-cp", classpath, `-Dlog4j.configuration=file:${log4j}`, "kafka.tools.StorageTool", "format", `--cluster-id=${clusterId}`, "-c", props], { maxBuffer: 16 << 20 });
      const proc = start(node.nodeId, nodeDir, props);
      members.push({ nodeId: node.nodeId, address: `127.0.0.1:${node.port}`, proc, dir: nodeDir, props });
    }
    const addresses = members.map((m) => m.address);
    await waitUntil("kafka cluster", () => clusterAnswers(addresses, size), { timeoutMs: 180_000 });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    brokers: members.map((m) => m.address).join(","),
    members,
    async kill(nodeId) {
      const member = members.find((m) => m.nodeId === nodeId);
      if (!member) throw new Error(`no broker ${nodeId}`);
      member.proc.child.kill("SIGKILL");
      await member.proc.stop(1_000);
    },
    async restart(nodeId) {
      const member = members.find((m) => m.nodeId === nodeId);
      if (!member) throw new Error(`no broker ${nodeId}`);
      await member.proc.stop(10_000);
      member.proc = start(member.nodeId, member.dir, member.props);
      await waitUntil(`kafka broker ${nodeId} back`, () => clusterAnswers(members.map((m) => m.address), size), { timeoutMs: 180_000, proc: member.proc });
    },
    stop,
  };
}
