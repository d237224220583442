import { runKeyedStateContract } from "./keyed-state.case";
import { MemoryKeyedState } from "./keyed-state-memory";

runKeyedStateContract("memory", async () => {
  const s = new MemoryKeyedState();
  return [s, s];
});
