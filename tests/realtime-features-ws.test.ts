import { runRealtimeFeatures } from "./realtime-features.case";
import { startProcessDeployment } from "./support/nodes";

runRealtimeFeatures("Node http + ws", () => startProcessDeployment(3, { engine: "ws" }));
