import type { RedisClient } from "../core/redis-client";
import type { DeadLetters } from "../core/bus/dead-letters";
import { KafkaDeadLetters } from "../core/bus/dead-letters-kafka";
import { MemoryDeadLetters } from "../core/bus/dead-letters-memory";
import type { EventBus } from "../core/bus/event-bus";
import type { InterlinkedConfig } from "../core/config";
import type { NodeReports } from "../core/nodes/node-reports";
import { MemoryNodeReports } from "../core/nodes/node-reports-memory";
import { RedisNodeReports } from "../core/nodes/node-reports-redis";

/** Node reports: cluster-wide on Redis when the process has it, else this process's own. */
export function openNodeReports(redis: RedisClient | undefined, prefix: string): NodeReports {
  return redis ? new RedisNodeReports(redis, prefix) : new MemoryNodeReports();
}

/**
 * The dead-letter topic for the admin API: Kafka's topic when the bus is Kafka (read on demand), else a
 * consumer of the in-memory bus's topic that keeps the latest letters (embedded mode).
 */
export async function openDeadLetters(bus: EventBus, config: Pick<InterlinkedConfig, "kafkaBrokers" | "namespace">): Promise<{ letters: DeadLetters; close(): Promise<void> }> {
  if (config.kafkaBrokers) return { letters: new KafkaDeadLetters(config.kafkaBrokers, config.namespace, bus), close: async () => undefined };
  const letters = await MemoryDeadLetters.attach(bus);
  return { letters, close: () => letters.close() };
}
