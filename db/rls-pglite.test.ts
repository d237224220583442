import { openDatabase } from "./database";
import { runRlsContract } from "./rls.case";

runRlsContract("PGlite", async () => {
  const handle = await openDatabase({ dataDir: "memory://" });
  await handle.migrate();
  return handle;
});
