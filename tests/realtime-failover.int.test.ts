import { runFailover } from "./realtime-failover.case";
import { engines } from "./support/engines";
import { startProcessDeployment } from "./support/nodes";

for (const { engine, label } of engines) runFailover(label, () => startProcessDeployment(3, { engine }));
