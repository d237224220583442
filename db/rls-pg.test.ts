import { createTestDatabase } from "../tests/support/services";
import { openDatabase } from "./database";
import { runRlsContract } from "./rls.case";

runRlsContract("PostgreSQL", async () => {
  const handle = await openDatabase({ url: await createTestDatabase() });
  await handle.migrate();
  return handle;
});
