/** Where a consumer group resumes in one topic-partition: the offset of the next record to read (Kafka's committed-offset meaning). */
export interface PartitionOffset {
  topic: string;
  partition: number;
  /** Decimal, as kafkajs takes it. */
  offset: string;
}

/** Topic → the partitions this member was given (kafkajs's `memberAssignment`). */
export type Assignment = Record<string, number[]>;

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * Commits a consumer's offsets every `intervalMs` instead of after each batch. kafkajs commits after each
 * batch it hands over (`runner.js`, also with `autoCommitInterval`): at low rates a batch is one record,
 * and each commit is an OffsetCommit request that the group coordinator writes to `__consumer_offsets`
 * with acks=all, waking each of its followers. Measured on a 3-broker cluster (RF 3) at 100 records/s into
 * one group: the brokers took 0.19–0.21 more cores with the consumer committing per batch, 0.00–0.01 with a
 * commit a second (BENCHMARKS.md, "What our Kafka traffic costs the brokers").
 *
 * Guarantees:
 * - an offset is recorded only once its batch was handled (`handled` after the handler resolved), so a
 *   committed offset never passes a record that was not handled;
 * - a partition's recorded offset only moves forward;
 * - `flush` commits everything recorded before it was called; one commit is in flight at a time, so an
 *   older commit never lands after a newer one;
 * - a failed commit's offsets are committed by the next flush unless a later offset of the partition
 *   replaced them;
 * - partitions taken from this member by a rebalance are forgotten (`keepOnly`): their new owner commits them.
 * Not guaranteed: what was handled but not yet committed when the process dies (or when its partitions
 * move) is delivered again, to this group's next owner of the partition — at least once, as before;
 * consumers are idempotent on the event id.
 */
export class OffsetCommitter {
  private readonly pending = new Map<string, PartitionOffset>();
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** The member's partitions since its last rebalance (undefined: not known yet, nothing is filtered). */
  private assignment: Assignment | undefined;

  constructor(
    private readonly commit: (offsets: PartitionOffset[]) => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {
    if (!Number.isInteger(intervalMs) || intervalMs < 1) throw new Error(`OffsetCommitter: intervalMs must be a positive integer, not ${intervalMs}`);
  }

  /** Starts the periodic flush (the timer does not hold the process open). */
  start(): void {
    this.timer ??= setInterval(() => void this.flush().catch(this.onError), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the periodic flush; what is recorded stays until the next `flush`. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The batch of `topic`/`partition` ending at `lastOffset` was handled. */
  handled(topic: string, partition: number, lastOffset: string): void {
    const offset = (BigInt(lastOffset) + 1n).toString();
    const key = keyOf(topic, partition);
    const current = this.pending.get(key);
    if (current && BigInt(current.offset) >= BigInt(offset)) return;
    this.pending.set(key, { topic, partition, offset });
  }

  /** Forgets the recorded offsets of partitions this member no longer has. */
  keepOnly(assignment: Assignment): void {
    this.assignment = assignment;
    for (const [key, { topic, partition }] of this.pending) {
      if (!this.owns(topic, partition)) this.pending.delete(key);
    }
  }

  private owns(topic: string, partition: number): boolean {
    return this.assignment === undefined || (this.assignment[topic] ?? []).includes(partition);
  }

  /** Offsets recorded and not yet committed (or being committed). */
  get size(): number {
    return this.pending.size;
  }

  /** Commits what is recorded now; rejects when the commit failed (its offsets stay recorded). */
  flush(): Promise<void> {
    const run = this.chain.then(() => this.commitPending());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async commitPending(): Promise<void> {
    if (this.pending.size === 0) return;
    const taken = [...this.pending.entries()];
    this.pending.clear();
    try {
      await this.commit(taken.map(([, o]) => o));
    } catch (err) {
      for (const [key, o] of taken) if (!this.pending.has(key) && this.owns(o.topic, o.partition)) this.pending.set(key, o);
      throw err;
    }
  }
}
