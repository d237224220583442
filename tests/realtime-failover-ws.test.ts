import { runFailover } from "./realtime-failover.case";
import { startProcessDeployment } from "./support/nodes";

runFailover("Node http + ws", () => startProcessDeployment(3, { engine: "ws" }));
