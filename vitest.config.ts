import { defineConfig } from "vitest/config";
import { RunOutcomeReporter } from "./tests/support/run-outcome.ts";

/**
 * Two tiers (and a third, `*.chaos.test.ts`, run only by `npm run test:chaos`), told apart by the file name (README, "Tests"):
 * - unit: every `*.test.ts` but `*.int.test.ts`. Memory implementations, pure logic and handlers on the
 *   embedded deployment (PGlite, in-memory bus, memory stores). No service is provisioned; a unit test
 *   that asks for one (`serviceEnv`) fails saying so.
 * - integration: `*.int.test.ts`, with real Redis, PostgreSQL, Kafka, nginx, mediasoup, k6 and kustomize
 *   from tests/global-setup.ts.
 * A contract runner (`*.contract.test.ts`) is in both: it applies its `*.case.ts` suite to the memory,
 * PGlite or embedded backends in the unit tier and to the real ones in the integration tier.
 */
const exclude = ["node_modules/**", "data/**"];

export default defineConfig({
  test: {
    testTimeout: 15_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", new RunOutcomeReporter()],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: [...exclude, "**/*.int.test.ts", "**/*.chaos.test.ts"],
          globalSetup: ["./tests/pglite-template.ts"],
          provide: { tier: "unit" },
          maxWorkers: 2,
          // unit files share their worker's module graph (socket.io, drizzle, PGlite load once, not per
          // file): 32 s → 21 s here. Unit tests keep no state in modules between files; a test that must
          // (fake timers, globals) restores it in its own afterEach/afterAll.
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["**/*.int.test.ts", "**/*.contract.test.ts"],
          exclude,
          globalSetup: ["./tests/pglite-template.ts", "./tests/global-setup.ts"],
          provide: { tier: "integration" },
          sequence: { groupOrder: 1 },
        },
      },
      {
        // fault scenarios too long for `npm test` (minutes each, clusters of their own): `npm run test:chaos`
        extends: true,
        test: {
          name: "chaos",
          include: ["**/*.chaos.test.ts"],
          exclude,
          globalSetup: ["./tests/pglite-template.ts", "./tests/global-setup.ts"],
          provide: { tier: "integration" },
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
