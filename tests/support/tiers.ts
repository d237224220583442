import { inject } from "vitest";

/** The vitest project a test file runs in; vitest.config.ts provides it to every test worker. */
export type Tier = "unit" | "integration";

declare module "vitest" {
  export interface ProvidedContext {
    tier: Tier;
  }
}

/** The tier of the running test file; throws when the file runs outside the projects of vitest.config.ts. */
export function currentTier(): Tier {
  const tier: unknown = inject("tier");
  if (tier !== "unit" && tier !== "integration") {
    throw new Error("no test tier provided: run tests through vitest.config.ts (`npm run test:unit`, `npm run test:integration`)");
  }
  return tier;
}

/** One backend a contract suite is applied to: memory, PGlite or embedded ones are `unit`, real services `integration`. */
export interface Backend<Open> {
  name: string;
  tier: Tier;
  open: Open;
}

/**
 * Applies a contract suite to the backends of the current tier: a `*.contract.test.ts` runner lists every
 * backend once, and runs in both tiers (vitest.config.ts), so each backend runs exactly once per full run.
 */
export function applyContract<Open>(suite: (name: string, open: Open) => void, backends: ReadonlyArray<Backend<Open>>): void {
  const tier = currentTier();
  for (const backend of backends) if (backend.tier === tier) suite(backend.name, backend.open);
}

/** Registers tests specific to one backend of a runner in that backend's tier only. */
export function inTier(tier: Tier, register: () => void): void {
  if (currentTier() === tier) register();
}
