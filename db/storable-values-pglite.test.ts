import { openDatabase } from "./database";
import { runStorableValuesContract } from "./storable-values.case";

runStorableValuesContract("PGlite", async () => {
  const handle = await openDatabase({ dataDir: "memory://" });
  await handle.migrate();
  return handle;
});
