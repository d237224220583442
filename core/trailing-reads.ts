/**
 * Coalesces reads of one key without delaying any: a read with none of its key in flight is sent at
 * once; reads asked for while one is in flight share the next one, sent when that answers. So every
 * caller gets an answer read after it asked (it sees its own earlier writes), at most two reads per key
 * are outstanding, and a storm of N callers costs a handful of reads instead of N. Used on the join path,
 * where 10,000 members joining one room each asked for the room's member list and count.
 */
export class TrailingReads<T> {
  private readonly busy = new Map<string, { settled: Promise<void>; next?: Promise<T> }>();

  constructor(private readonly read: (key: string) => Promise<T>) {}

  get(key: string): Promise<T> {
    const slot = this.busy.get(key);
    if (!slot) return this.start(key);
    return (slot.next ??= slot.settled.then(() => this.start(key)));
  }

  private start(key: string): Promise<T> {
    let answer: Promise<T>;
    try {
      answer = this.read(key);
    } catch (err) {
      answer = Promise.reject(err);
    }
    const slot = {
      settled: answer.then(
        () => undefined,
        () => undefined,
      ),
    } as { settled: Promise<void>; next?: Promise<T> };
    void slot.settled.then(() => {
      if (this.busy.get(key) === slot && !slot.next) this.busy.delete(key);
    });
    this.busy.set(key, slot);
    return answer;
  }
}
