/**
 * The chaos command's IPC between the coordinator (driver.ts) and its client processes
 * (client-process.ts). Times are epoch milliseconds (all processes share the machine's clock).
 */

/** Which clients one process runs: users `u<first>`…`u<first+count-1>` of tenant `tenant`. */
export interface ClientPlan {
  url: string;
  secret: string;
  tenant: string;
  first: number;
  count: number;
  /** Users per room and per conversation: user i is in `room-<i/roomSize>` and conversation `conversations[i/roomSize]`. */
  roomSize: number;
  conversations: string[];
  /** Keyed messages this process sends per second (spread over its clients, one in flight per client). */
  rate: number;
  /** Share of those sent as chat:send (the rest room:message). */
  chatShare: number;
  /** Clients that never reconnect (their presence must go offline when their node goes away), per phase. */
  ghosts: number;
  /** Index of this process (names ghosts). */
  index: number;
}

/** One acknowledged message: kind (room or chat), stream (room or conversation id), seq, id, text (unique). */
export interface AckedMessage {
  k: "r" | "c";
  s: string;
  q: number;
  i: string;
  t: string;
  /** When the ack arrived (ms since the epoch). */
  a: number;
}

/** Seqs a reconnect recovery gave up: kind, stream, the range, ms after the fault. */
export interface GivenUp {
  k: "r" | "c";
  s: string;
  from: number;
  to: number;
  at: number;
}

export type ToClient =
  | { cmd: "start"; plan: ClientPlan }
  /** Starts a phase: new ghosts, counters reset, traffic on. */
  | { cmd: "phase"; name: string }
  /** The fault was injected at `at` (measure reconnects and presence from here). */
  | { cmd: "fault"; at: number }
  /** The fault was healed at `at` (refusals are counted between fault and heal). */
  | { cmd: "healed"; at: number }
  /** Stop sending, let in-flight sends settle, report. */
  | { cmd: "report"; settleMs: number }
  /** How many dropped after the fault and how many of them are back (mid-phase). */
  | { cmd: "status" }
  | { cmd: "stop" };

/** What one process saw in a phase. */
export interface PhaseReport {
  sent: number;
  acked: AckedMessage[];
  /** Sends that failed for good, by code. */
  failed: Record<string, number>;
  /** Refusal acks (`{ error: { code } }`) seen on the wire between fault and heal, by code (SDK retries included). */
  refusedDuringFault: Record<string, number>;
  refusedTotal: Record<string, number>;
  /** Clients whose connection dropped after the fault. */
  disconnected: number;
  /** Of those, how many are connected again with every stream rejoined/synced. */
  back: number;
  /** Latest time one of them was back (0 when none dropped). */
  lastBackAt: number;
  /** Per client back: from its own drop to back (reconnected, every stream rejoined), ms. */
  dropToBackMs: number[];
  /** Human-readable lines: where the dropped clients' time went and where those not back are stuck. */
  diagnosis: string[];
  /** Rejoins/syncs after the fault with recovered true / false. */
  recovered: number;
  notRecovered: number;
  notRecoveredWhy: Record<string, number>;
  /** Seqs reconnect recoveries gave up (up to 100 per client process). */
  givenUp: GivenUp[];
  /** Presence samples after the fault that were wrong (a closed ghost online, a connected user offline): last such sample time. */
  presenceWrongLastAt: number;
  presenceWrongSamples: number;
  presenceSamples: number;
  /** Ghost clients whose connection dropped (their presence must go offline). */
  ghostsDropped: number;
  /** Clients connected now. */
  connected: number;
  /** Holes in a live stream the SDK fetched (recoveries with reason "gap", rooms and conversations) this phase. */
  gapFetches: number;
  /** Gap fetches that gave seqs up, and messages delivered after their seq was given up on (SDK `late`). */
  gapSkips: number;
  lates: number;
  /**
   * After the fault, the longest a room message took from its server `sentAt` to one member (live, or in a
   * rejoin's recovery), ms: a member cut off from its room's stream gets the missed messages late or not at all.
   */
  maxRoomDelayMs: number;
  /** Clients that got a room message more than 10 s after it was sent. */
  roomDelaysOver10s: number;
}

export type FromClient =
  | { type: "ready" }
  | { type: "started"; connected: number; failed: number; ms: number }
  | { type: "report"; report: PhaseReport }
  | { type: "status"; disconnected: number; back: number }
  | { type: "log"; line: string };
