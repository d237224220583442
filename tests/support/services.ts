import { randomBytes } from "node:crypto";
import { createScratchDatabase } from "../../tools/services/postgres";
import type { ServiceEnv } from "../../tools/services/provision";

/** A service URL or binary path provisioned by tests/global-setup.ts; never silently absent. */
export function serviceEnv(name: keyof ServiceEnv): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set. tests/global-setup.ts provisions it: run the suite with \`npm test\` (or set ${name}).`);
  }
  return value;
}

/** A fresh, empty database on the provisioned PostgreSQL; returns its URL. */
export function createTestDatabase(): Promise<string> {
  return createScratchDatabase(serviceEnv("DATABASE_URL"), "test");
}

/** A unique prefix for Kafka topics, consumer groups and Redis keys of one test. */
export function testNamespace(): string {
  return `t${randomBytes(5).toString("hex")}`;
}
