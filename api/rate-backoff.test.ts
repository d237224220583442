import { runRateBackoffCase } from "./rate-backoff.case";

let n = 0;
runRateBackoffCase("memory (embedded)", () => undefined, () => `mem${n++}:`);
