import { historyDefaults, type HistoryEntry, type HistoryOptions, type HistoryStore } from "./history-store";

interface Reservation {
  at: number;
}

/** In-process HistoryStore (embedded default). */
export class MemoryHistoryStore implements HistoryStore {
  /** Per stream, seq → its message's payload (a string) or, while only reserved, when. */
  private readonly streams = new Map<string, { entries: Map<number, string | Reservation>; expires: number }>();
  private readonly options: HistoryOptions;

  constructor(options: Partial<HistoryOptions> = {}) {
    this.options = { ...historyDefaults, ...options };
  }

  async append(stream: string, seq: number, payload: string): Promise<void> {
    this.write(stream, seq, payload, true);
  }

  async reserve(stream: string, seq: number, atMs: number): Promise<void> {
    this.write(stream, seq, { at: atMs }, false);
  }

  async since(stream: string, after: number, limit: number): Promise<HistoryEntry[]> {
    const s = this.streams.get(stream);
    if (!s || s.expires < Date.now()) return [];
    return [...s.entries]
      .filter(([seq]) => seq > after)
      .sort(([a], [b]) => a - b)
      .slice(0, limit)
      .map(([seq, entry]) => (typeof entry === "string" ? { seq, payload: entry } : { seq, reservedAt: entry.at }));
  }

  private write(stream: string, seq: number, entry: string | Reservation, replace: boolean): void {
    let s = this.streams.get(stream);
    if (!s || s.expires < Date.now()) {
      s = { entries: new Map(), expires: 0 };
      this.streams.set(stream, s);
    }
    if (!replace && s.entries.has(seq)) return;
    s.entries.set(seq, entry);
    s.expires = Date.now() + this.options.ttlSeconds * 1000;
    if (s.entries.size > this.options.size) {
      const seqs = [...s.entries.keys()].sort((a, b) => a - b);
      for (const old of seqs.slice(0, seqs.length - this.options.size)) s.entries.delete(old);
    }
  }
}
