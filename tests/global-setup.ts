import type { TestProject } from "vitest/node";
import { ensureBuilt } from "../tools/services/production-build";
import { givenServices, provisionServices } from "../tools/services/provision";
import { servicesStopped } from "./support/run-outcome";

/**
 * Provisions real Redis, PostgreSQL, Kafka, nginx and a mediasoup worker for the whole run (or checks
 * the ones named by REDIS_URL / DATABASE_URL / KAFKA_BROKERS / NGINX_BIN / MEDIASOUP_WORKER_BIN) and
 * exports their environment to the test workers. Fails the run, saying what is missing, if one cannot be had.
 * Builds the production bundle (dist/) once for the run first: tests that start the entry point run it.
 */
export default async function setup(_project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string): void => console.log(`[services] ${line}`);
  ensureBuilt();
  const services = await provisionServices(givenServices(process.env), log);
  Object.assign(process.env, services.env);
  return async () => {
    await services.stop({ keepLogs: true });
    servicesStopped(services.dir);
  };
}
