import { defineConfig } from "vitest/config";
import { RunOutcomeReporter } from "./tests/support/run-outcome.ts";

export default defineConfig({
  test: {
    globalSetup: ["./tests/global-setup.ts"],
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "data/**"],
    testTimeout: 15_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", new RunOutcomeReporter()],
  },
});
