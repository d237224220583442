import { runFailover } from "./realtime-failover.case";
import { startProcessDeployment } from "./support/nodes";

runFailover("uWebSockets.js", () => startProcessDeployment(3, { engine: "uws" }));
