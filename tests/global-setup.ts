import type { TestProject } from "vitest/node";
import { ensureBuilt } from "../tools/services/production-build";
import { provisionServices } from "../tools/services/provision";
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
  const services = await provisionServices(
    {
      REDIS_URL: process.env.REDIS_URL,
      DATABASE_URL: process.env.DATABASE_URL,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      NGINX_BIN: process.env.NGINX_BIN,
      MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN,
      K6_BIN: process.env.K6_BIN,
      KUSTOMIZE_BIN: process.env.KUSTOMIZE_BIN,
      JAEGER_BIN: process.env.JAEGER_BIN,
      SCHEMATHESIS_BIN: process.env.SCHEMATHESIS_BIN,
    },
    log,
  );
  Object.assign(process.env, services.env);
  return async () => {
    await services.stop({ keepLogs: true });
    servicesStopped(services.dir);
  };
}
