import { createTestDatabase } from "../tests/support/services";
import { openDatabase } from "./database";
import { runStorableValuesContract } from "./storable-values.case";

runStorableValuesContract("PostgreSQL", async () => {
  const handle = await openDatabase({ url: await createTestDatabase() });
  await handle.migrate();
  return handle;
});
