/**
 * Node liveness, in one place. Every realtime node beats every HEARTBEAT_MS; a node silent for
 * NODE_TTL_MS is dead to every part that tracks nodes:
 * - presence (`PresenceStore.heartbeat` / `reapDeadNodes`): its users go offline and leave their rooms;
 * - live classes (`MediaDirectory.register`): its classes are placed on another media node;
 * - connection quotas: its count of each school's connections (KeyedState `holdCount`, renewed once per school
 *   every LEASE_RENEW_BEATS beats, whatever the number of sockets) lapses after LEASE_TTL_MS.
 * kill -9 of a node → offline everywhere within NODE_TTL_MS + one beat (~8 s).
 */
export const HEARTBEAT_MS = 2_000;
export const NODE_TTL_MS = 3 * HEARTBEAT_MS;
/** Connection counts are renewed every other beat, so one failed renewal never drops a node's connections. */
export const LEASE_RENEW_BEATS = 2;
export const LEASE_TTL_MS = 10_000;

/**
 * A realtime node whose liveness beat has not succeeded for this long is about to be taken for dead by
 * the others (NODE_TTL_MS, minus one beat of margin): it stops serving (LivenessWatch) rather than keep
 * sockets whose presence the others reap and whose rooms no longer reach it.
 */
export const ISOLATED_AFTER_MS = NODE_TTL_MS - HEARTBEAT_MS;

/** How long the cut-off confirmation waits for a PING answer from each Redis node. */
export const CUT_OFF_CONFIRM_MS = 1_000;
/** How often LivenessWatch checks the beat's age. */
const LIVENESS_CHECK_MS = 500;

/**
 * Watches the node's own liveness beat: `ok()` after each beat that reached the shared state. When none
 * did for `afterMs` (checked every `checkMs` on a timer of its own, so a beat hanging on an unreachable
 * Redis does not delay it) and `cutOff()` confirms that no Redis node answers at all — a failover of one
 * primary, which stalls the beat too, is not a partition — the node is isolated (`onChange(true)`); the
 * next successful beat ends it (`onChange(false)`).
 *
 * The confirmation (a PING to every Redis node, up to CUT_OFF_CONFIRM_MS without an answer) starts
 * `confirmLeadMs` (that timeout and one check period) before the deadline, so a node cut off is isolated
 * at `afterMs`, not `afterMs` plus a check period and the PING's timeout: every second counts, since its
 * clients get a partial room stream until they are moved.
 * A confirmation that ends before the deadline waits for it and isolates only if still no beat got through.
 */
export class LivenessWatch {
  private lastOkAt: number;
  private isolatedNow = false;
  private confirming = false;
  private timer: NodeJS.Timeout | undefined;
  private listener: (isolated: boolean) => void = () => undefined;

  constructor(
    private readonly cutOff: () => Promise<boolean> = async () => true,
    private readonly afterMs = ISOLATED_AFTER_MS,
    private readonly now: () => number = Date.now,
    private readonly confirmLeadMs = CUT_OFF_CONFIRM_MS + LIVENESS_CHECK_MS,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
  ) {
    this.lastOkAt = now();
  }

  get isolated(): boolean {
    return this.isolatedNow;
  }

  /** The one listener of isolation changes (the composition root stops and resumes serving). */
  onChange(listener: (isolated: boolean) => void): void {
    this.listener = listener;
  }

  ok(): void {
    this.lastOkAt = this.now();
    if (!this.isolatedNow) return;
    this.isolatedNow = false;
    this.listener(false);
  }

  /** Resolves once the check (and its confirmation, if the beat is overdue) is done. */
  async check(): Promise<void> {
    if (this.isolatedNow || this.confirming || !this.overdue(this.confirmLeadMs)) return;
    this.confirming = true;
    try {
      const cut = await this.cutOff().catch(() => true);
      if (!cut) return;
      const untilDeadline = this.lastOkAt + this.afterMs - this.now();
      if (untilDeadline >= 0) await this.sleep(untilDeadline + 1);
      if (this.overdue() && !this.isolatedNow) {
        this.isolatedNow = true;
        this.listener(true);
      }
    } finally {
      this.confirming = false;
    }
  }

  start(checkMs = LIVENESS_CHECK_MS): void {
    this.lastOkAt = this.now();
    this.timer ??= setInterval(() => void this.check(), checkMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** No beat got through for `afterMs` (less `leadMs`: the confirmation's head start). */
  private overdue(leadMs = 0): boolean {
    return this.now() - this.lastOkAt > this.afterMs - leadMs;
  }
}

/**
 * Whether this node may take other nodes for dead (reap them): only once its own beats have reached the
 * shared state, each within ISOLATED_AFTER_MS of the one before, for NODE_TTL_MS. A store that took no beat
 * of this node for longer took none of the others' either (the node set is one key): a Redis Cluster
 * failover of the shard holding it stalls every node's beat for the failover's length (cluster-node-timeout
 * and the election: about 2.4 s with the chaos command's 1 s, 2 s in compose, 15 s with Redis's default).
 * Past NODE_TTL_MS, the others' last beats are old only because of the store, and a reap on that evidence,
 * run as soon as this node's own beat got through, would remove live nodes' sessions: their users would read
 * offline until each node found itself missing and registered them again. After such a gap the others have
 * NODE_TTL_MS, as after any beat, to be heard again.
 * `beat()` after each beat that reached the store. Closed until the first beat, and while the last one is
 * older than ISOLATED_AFTER_MS (this node is not hearing the store either).
 */
export class ReapGate {
  private lastOkAt: number | undefined;
  /** When the store started taking this node's beats again after a gap (undefined: no gap seen). */
  private heardSince: number | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** Records a beat that reached the store; whether one had before (false: this node's first). */
  beat(): boolean {
    const at = this.now();
    const last = this.lastOkAt;
    if (last !== undefined && at - last > ISOLATED_AFTER_MS) this.heardSince = at;
    this.lastOkAt = at;
    return last !== undefined;
  }

  get open(): boolean {
    const now = this.now();
    if (this.lastOkAt === undefined || now - this.lastOkAt > ISOLATED_AFTER_MS) return false;
    return this.heardSince === undefined || now - this.heardSince >= NODE_TTL_MS;
  }
}

/** One periodic duty of the node; `beat` counts from 0. */
export type HeartbeatDuty = (beat: number) => Promise<void>;

/**
 * Liveness runs of the heartbeat that may be in flight at once: a beat that waits seconds for its reply
 * does not hold back the next one, and a beat hanging on an unreachable Redis does not pile up.
 */
export const LIVENESS_IN_FLIGHT = 3;

/**
 * The node's heartbeat: on every beat, its liveness duties (those that tell the cluster it is alive) run
 * first, then the others in order. Liveness never waits behind the other duties: a beat whose upkeep
 * (reaping a dead node's users, announcing them gone, renewing counts) is still running from an earlier
 * beat runs its liveness duties anyway and skips only the upkeep. Before, one slow upkeep (seconds on a
 * loaded node taking over a dead node's 300 users) skipped the beats behind it past NODE_TTL_MS, the
 * others reaped this live node's sessions and its users read offline.
 *
 * Nor does a beat wait for the previous beat's reply: up to LIVENESS_IN_FLIGHT liveness runs overlap, so
 * beats keep landing a period apart while each takes longer than a period. The store times a beat when it
 * lands; when only one ran at a time, a beat taking 5 s (a survivor flooding Redis with a dead node's
 * 6,700-session reap, 2026-12-01 chaos run) left the next one unsent until its reply came, landings 7 s
 * apart, and the other survivor reaped this live node's 8,700 sessions. The upkeep never runs twice at
 * once (a slow one skips the next tick instead of piling up). A failing duty is logged and the others still run.
 */
export class NodeHeartbeat {
  private readonly duties: Array<{ name: string; run: HeartbeatDuty; liveness: boolean }> = [];
  private timer: NodeJS.Timeout | undefined;
  private livenessInFlight = 0;
  private upkeepRunning = false;
  private beats = 0;

  constructor(
    private readonly onError: (duty: string, err: unknown) => void,
    private readonly periodMs = HEARTBEAT_MS,
    private readonly livenessInFlightMax = LIVENESS_IN_FLIGHT,
  ) {}

  /** Adds a duty from the next beat on (`liveness`: one that tells the cluster this node is alive); returns its removal. */
  add(name: string, run: HeartbeatDuty, { liveness = false } = {}): () => void {
    const duty = { name, run, liveness };
    if (liveness) this.duties.splice(this.duties.filter((d) => d.liveness).length, 0, duty);
    else this.duties.push(duty);
    return () => {
      const i = this.duties.indexOf(duty);
      if (i >= 0) this.duties.splice(i, 1);
    };
  }

  start(): void {
    if (this.timer) return;
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.periodMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async beat(): Promise<void> {
    if (this.livenessInFlight >= this.livenessInFlightMax) return;
    const beat = this.beats++;
    const duties = [...this.duties];
    this.livenessInFlight++;
    try {
      await this.runAll(duties.filter((d) => d.liveness), beat);
    } finally {
      this.livenessInFlight--;
    }
    if (this.upkeepRunning) return;
    this.upkeepRunning = true;
    try {
      await this.runAll(duties.filter((d) => !d.liveness), beat);
    } finally {
      this.upkeepRunning = false;
    }
  }

  private async runAll(duties: Array<{ name: string; run: HeartbeatDuty }>, beat: number): Promise<void> {
    for (const { name, run } of duties) await run(beat).catch((err: unknown) => this.onError(name, err));
  }
}
