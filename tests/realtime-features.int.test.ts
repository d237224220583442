import { chatFeatures } from "./realtime-features/chat.case";
import { runRealtimeFeatures } from "./realtime-features/context";
import { moderationFeatures } from "./realtime-features/moderation.case";
import { notificationsFeatures } from "./realtime-features/notifications.case";
import { presenceFeatures } from "./realtime-features/presence.case";
import { recoveryFeatures } from "./realtime-features/recovery.case";
import { roomFeatures } from "./realtime-features/rooms.case";
import { engines } from "./support/engines";
import { startProcessDeployment } from "./support/nodes";

/** Every feature case on both engines, each engine on one 3-node process deployment. */
const features = [presenceFeatures, roomFeatures, moderationFeatures, chatFeatures, recoveryFeatures, notificationsFeatures];

for (const { engine, label } of engines) runRealtimeFeatures(label, () => startProcessDeployment(3, { engine }), features);
