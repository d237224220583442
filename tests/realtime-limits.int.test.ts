import { runRealtimeLimits } from "./realtime-limits.case";
import { engines } from "./support/engines";
import { startProcessDeployment } from "./support/nodes";

for (const { engine, label } of engines) runRealtimeLimits(label, () => startProcessDeployment(3, { engine }));
