import { runQuotaGraceCase } from "./quota-grace.case";
import { MemoryKeyedState } from "./state/keyed-state-memory";

const state = new MemoryKeyedState();
runQuotaGraceCase("memory (embedded)", async () => ({ state, prefix: "t:" }));
