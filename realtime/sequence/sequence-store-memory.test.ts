import { runSequenceStoreContract } from "./sequence-store.case";
import { MemorySequenceStore } from "./sequence-store-memory";

runSequenceStoreContract("memory", async (seed) => {
  const store = new MemorySequenceStore(seed);
  return [store, store];
});
