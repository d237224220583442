import { createTestDatabase } from "../tests/support/services";
import { openDatabase } from "./database";
import { runRoomMessageStoreContract } from "./room-message-store.case";
import { DrizzleRoomMessageStore } from "./room-message-store-drizzle";

runRoomMessageStoreContract("PostgreSQL", async () => {
  const handle = await openDatabase({ url: await createTestDatabase() });
  await handle.migrate();
  return { store: new DrizzleRoomMessageStore(handle.db), close: () => handle.close() };
});
