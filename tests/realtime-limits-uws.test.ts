import { runRealtimeLimits } from "./realtime-limits.case";
import { startProcessDeployment } from "./support/nodes";

runRealtimeLimits("uWebSockets.js", () => startProcessDeployment(3, { engine: "uws" }));
