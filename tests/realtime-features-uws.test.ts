import { runRealtimeFeatures } from "./realtime-features.case";
import { startProcessDeployment } from "./support/nodes";

runRealtimeFeatures("uWebSockets.js", () => startProcessDeployment(3, { engine: "uws" }));
