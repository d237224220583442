import { openDatabase } from "./database";
import { runRoomMessageStoreContract } from "./room-message-store.case";
import { DrizzleRoomMessageStore } from "./room-message-store-drizzle";

runRoomMessageStoreContract("PGlite", async () => {
  const handle = await openDatabase({ dataDir: "memory://" });
  await handle.migrate();
  return { store: new DrizzleRoomMessageStore(handle.db), close: () => handle.close() };
});
