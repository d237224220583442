import { runHistoryStoreContract } from "./history-store.case";
import { MemoryHistoryStore } from "./history-store-memory";

runHistoryStoreContract("memory", async (options) => new MemoryHistoryStore(options));
