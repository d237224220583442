import { runPresenceStoreContract } from "./presence-store.case";
import { MemoryPresenceStore } from "./presence-store-memory";

runPresenceStoreContract("memory", async (ttl) => {
  const store = new MemoryPresenceStore(ttl);
  return [store, store];
});
