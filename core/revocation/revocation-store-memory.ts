import { DEFAULT_REVOCATION_RETENTION_MS, type RevocationStore } from "./revocation-store";

/** In-process RevocationStore (embedded default, one node); entries are dropped on read once their retention passed. */
export class MemoryRevocationStore implements RevocationStore {
  private readonly moments = new Map<string, number>();

  constructor(private readonly retentionMs = DEFAULT_REVOCATION_RETENTION_MS) {}

  async revoke(tenant: string, user: string, before: number): Promise<number> {
    const key = `${tenant}\u0000${user}`;
    const current = this.read(key);
    const moment = current === undefined ? before : Math.max(current, before);
    if (moment + this.retentionMs > Date.now()) this.moments.set(key, moment);
    this.sweep();
    return moment;
  }

  async revokedBefore(tenant: string, user: string): Promise<number | undefined> {
    return this.read(`${tenant}\u0000${user}`);
  }

  private read(key: string): number | undefined {
    const moment = this.moments.get(key);
    if (moment === undefined || moment + this.retentionMs > Date.now()) return moment;
    this.moments.delete(key);
    return undefined;
  }

  /** Keeps the map to live entries (a revocation is rare: a full pass on each write is cheap). */
  private sweep(): void {
    const now = Date.now();
    for (const [key, moment] of this.moments) if (moment + this.retentionMs <= now) this.moments.delete(key);
  }
}
