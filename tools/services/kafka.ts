import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import { freePort, spawnService, waitUntil, type ServiceProcess } from "./process";

const run = promisify(execFile);
export const KAFKA_VERSION = "3.9.1";
const pom = join(dirname(fileURLToPath(import.meta.url)), "kafka-pom.xml");

/** Where Kafka's jars are cached: $KAFKA_LIB_DIR, else ~/.cache/interlinked/kafka-3.9.1/lib. */
export function kafkaLibDir(): string {
  return process.env.KAFKA_LIB_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "interlinked", `kafka-${KAFKA_VERSION}`, "lib");
}

/** Fetches the Kafka jars from Maven Central once (mvn dependency:copy-dependencies) and caches them. */
export async function ensureKafkaJars(mvn: string, log: (line: string) => void): Promise<string> {
  const lib = kafkaLibDir();
  const marker = join(lib, ".complete");
  if (existsSync(marker)) return lib;
  log(`fetching Kafka ${KAFKA_VERSION} jars from Maven Central into ${lib}`);
  mkdirSync(lib, { recursive: true });
  await run(mvn, ["-q", "-B", "-f", pom, "dependency:copy-dependencies", `-DoutputDirectory=${lib}`, "-DincludeScope=runtime"], {
    maxBuffer: 64 << 20,
  });
  writeFileSync(marker, new Date().toISOString());
  return lib;
}

export async function kafkaAnswers(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1_000 }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface KafkaInstance {
  brokers: string;
  proc: ServiceProcess;
  /** Stops the broker (SIGTERM, or SIGKILL when `hard`) and starts it again on the same port and data. */
  restart(options?: { hard?: boolean }): Promise<void>;
}

/** A single combined broker+controller in KRaft mode on free loopback ports. */
export async function startKafka(java: string, lib: string, dir: string, logDir: string): Promise<KafkaInstance> {
  const [port, controllerPort] = [await freePort(), await freePort()];
  const props = join(dir, "server.properties");
  writeFileSync(
    props,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      "controller.listener.names=CONTROLLER",
      "inter.broker.listener.name=PLAINTEXT",
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      `log.dirs=${join(dir, "data")}`,
      "num.partitions=1",
      "auto.create.topics.enable=false",
      "offsets.topic.replication.factor=1",
      "offsets.topic.num.partitions=4",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "group.initial.rebalance.delay.ms=0",
      "log.flush.interval.messages=9223372036854775807",
      "",
    ].join("\n"),
  );
  const log4j = join(dir, "log4j.properties");
  writeFileSync(log4j, "log4j.rootLogger=WARN, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\nlog4j.appender.stdout.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\nlog4j.logger.kafka.server.KafkaServer=INFO\nlog4j.logger.kafka.server.BrokerServer=INFO\n");
  const classpath = `${lib}/*`;
  const clusterId = randomBytes(16).toString("base64url");
  await run(java, ["-cp", classpath, `-Dlog4j.configuration=file:${log4j}`, "kafka.tools.StorageTool", "format", `--cluster-id=${clusterId}`, "-c", props], {
    maxBuffer: 16 << 20,
  });
  const brokers = `127.0.0.1:${port}`;
  const launch = async (): Promise<ServiceProcess> => {
    const proc = spawnService({
      name: "kafka",
      command: java,
      args: ["-Xms256m", "-Xmx768m", "-XX:+UseG1GC", "-Djava.awt.headless=true", `-Dlog4j.configuration=file:${log4j}`, "-cp", classpath, "kafka.Kafka", props],
      logFile: `${logDir}/kafka.log`,
      cwd: dir,
    });
    await waitUntil("kafka", () => kafkaAnswers([brokers]), { timeoutMs: 90_000, proc });
    return proc;
  };
  const instance: KafkaInstance = {
    brokers,
    proc: await launch(),
    async restart(options) {
      if (options?.hard) instance.proc.child.kill("SIGKILL");
      await instance.proc.stop(20_000);
      instance.proc = await launch();
    },
  };
  return instance;
}
