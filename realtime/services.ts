import type { TokenService } from "../core/auth";
import type { BatchingPublisher } from "../core/bus/batching-publisher";
import type { EventBus } from "../core/bus/event-bus";
import type { RealtimeOptions } from "../core/config";
import type { Logger } from "../core/log";
import type { Metrics } from "../core/metrics/registry";
import type { ConnectStages } from "../core/metrics/connect-stages";
import type { RevocationStore } from "../core/revocation/revocation-store";
import type { RoomMessageStore } from "../db/room-message-store";
import type { ClassStore } from "../db/stores/classes";
import type { ConversationStore } from "../db/stores/conversations";
import type { FeedStore } from "../db/stores/feeds";
import type { NotificationStore } from "../db/stores/notifications";
import type { RoomStore } from "../db/stores/rooms";
import type { PresenceStore } from "./presence/presence-store";
import type { TenantQuotas } from "./quotas";
import type { SequenceStore } from "./sequence/sequence-store";
import type { HistoryStore } from "./state/history-store";
import type { KeyedState } from "./state/keyed-state";

/** Everything a realtime node's handlers use; each seam has an embedded and a distributed implementation. */
export interface RealtimeServices {
  nodeId: string;
  /** The node's logger (`node` bound); per-socket records add tenant, user and socket id. */
  log: Logger;
  options: RealtimeOptions;
  tokens: TokenService;
  /** Users' revocation moments, read uncached at every handshake and `auth:refresh`. */
  revocations: RevocationStore;
  bus: EventBus;
  /** Coalesced writes of presence session events (fire-and-forget, one publish per ~100 ms). */
  sessionEvents: BatchingPublisher;
  sequences: SequenceStore;
  presence: PresenceStore;
  history: HistoryStore;
  state: KeyedState;
  quotas: TenantQuotas;
  metrics: Metrics;
  /** Per-stage timing of connects, only when CONNECT_STAGE_TIMING=1 (core/metrics/connect-stages.ts). */
  connectStages?: ConnectStages;
  stores: {
    messages: RoomMessageStore;
    rooms: RoomStore;
    conversations: ConversationStore;
    notifications: NotificationStore;
    feeds: FeedStore;
    classes: ClassStore;
  };
}
