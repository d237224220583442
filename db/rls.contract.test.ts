import { openTestPglite } from "../tests/support/pglite";
import { createTestDatabase } from "../tests/support/services";
import { applyContract } from "../tests/support/tiers";
import { openDatabase, type DatabaseHandle } from "./database";
import { runRlsContract } from "./rls.case";

applyContract<() => Promise<DatabaseHandle>>(runRlsContract, [
  { name: "PGlite", tier: "unit", open: openTestPglite },
  {
    name: "PostgreSQL",
    tier: "integration",
    open: async () => {
      const handle = await openDatabase({ url: await createTestDatabase() });
      await handle.migrate();
      return handle;
    },
  },
]);
