import { openTestPglite } from "../tests/support/pglite";
import { openTestPostgres } from "../tests/support/services";
import { applyContract } from "../tests/support/tiers";
import type { DatabaseHandle } from "./database";
import type { RoomMessageStore } from "./room-message-store";
import { runRoomMessageStoreContract } from "./room-message-store.case";
import { DrizzleRoomMessageStore } from "./room-message-store-drizzle";

const store = (handle: DatabaseHandle): { store: RoomMessageStore; close(): Promise<void> } => ({
  store: new DrizzleRoomMessageStore(handle.db),
  close: () => handle.close(),
});

applyContract<() => Promise<{ store: RoomMessageStore; close(): Promise<void> }>>(runRoomMessageStoreContract, [
  { name: "PGlite", tier: "unit", open: async () => store(await openTestPglite()) },
  {
    name: "PostgreSQL",
    tier: "integration",
    open: async () => store(await openTestPostgres()),
  },
]);
