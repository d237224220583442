import { randomBytes } from "node:crypto";
import { openDatabase, type DatabaseHandle } from "../../db/database";
import { createScratchDatabase } from "../../tools/services/postgres";
import type { ServiceEnv } from "../../tools/services/provision";
import { currentTier } from "./tiers";

/**
 * A service URL or binary path provisioned by tests/global-setup.ts; never silently absent. In the unit
 * tier, which provisions nothing, it always fails, even when the variable happens to be set: a test that
 * needs a real service belongs in a `*.int.test.ts` file (or a contract backend of tier "integration").
 */
export function serviceEnv(name: keyof ServiceEnv): string {
  if (currentTier() === "unit") {
    throw new Error(`${name}: this test needs a real service but runs in the unit tier, which provisions none. Move it to a *.int.test.ts file (README, "Tests").`);
  }
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set. tests/global-setup.ts provisions it: run the suite with \`npm test\` or \`npm run test:integration\` (or set ${name}).`);
  }
  return value;
}

/** A fresh, empty database on the provisioned PostgreSQL; returns its URL. */
export function createTestDatabase(): Promise<string> {
  return createScratchDatabase(serviceEnv("DATABASE_URL"), "test");
}

/** A migrated database of its own on the provisioned PostgreSQL (the integration twin of openTestPglite). */
export async function openTestPostgres(): Promise<DatabaseHandle> {
  const handle = await openDatabase({ url: await createTestDatabase() });
  await handle.migrate();
  return handle;
}

/** A unique prefix for Kafka topics, consumer groups and Redis keys of one test. */
export function testNamespace(): string {
  return `t${randomBytes(5).toString("hex")}`;
}
