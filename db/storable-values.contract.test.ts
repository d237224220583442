import { openTestPglite } from "../tests/support/pglite";
import { openTestPostgres } from "../tests/support/services";
import { applyContract } from "../tests/support/tiers";
import type { DatabaseHandle } from "./database";
import { runStorableValuesContract } from "./storable-values.case";

applyContract<() => Promise<DatabaseHandle>>(runStorableValuesContract, [
  { name: "PGlite", tier: "unit", open: openTestPglite },
  { name: "PostgreSQL", tier: "integration", open: openTestPostgres },
]);
