import { runRealtimeLimits } from "./realtime-limits.case";
import { startProcessDeployment } from "./support/nodes";

runRealtimeLimits("Node http + ws", () => startProcessDeployment(3, { engine: "ws" }));
