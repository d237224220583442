import { orderingKeys } from "../../core/tenant-keys";
import { CLASS_STATE_TTL_MS, type ClassClaim, type ClassStateStore } from "./class-state-store";
import type { ClassSnapshot } from "./class-snapshot";

interface Entry {
  epoch: number;
  /** The snapshot as JSON (so nothing stored is shared with callers), or null. */
  snapshot: string | null;
  expiresAt: number;
}

/** ClassStateStore in one process (embedded mode, unit tests): the state survives a media worker, not the process. */
export class MemoryClassStateStore implements ClassStateStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly ttlMs = CLASS_STATE_TTL_MS) {}

  private entry(tenant: string, classId: string): Entry {
    const classKey = orderingKeys.class(tenant, classId);
    let e = this.entries.get(classKey);
    if (!e || e.expiresAt <= Date.now()) {
      e = { epoch: 0, snapshot: null, expiresAt: 0 };
      this.entries.set(classKey, e);
    }
    return e;
  }

  async claim(tenant: string, classId: string): Promise<ClassClaim> {
    const e = this.entry(tenant, classId);
    e.epoch++;
    e.expiresAt = Date.now() + this.ttlMs;
    return { epoch: e.epoch, snapshot: e.snapshot === null ? null : (JSON.parse(e.snapshot) as ClassSnapshot) };
  }

  async save(tenant: string, classId: string, epoch: number, snapshot: ClassSnapshot): Promise<boolean> {
    const e = this.entry(tenant, classId);
    if (e.epoch !== epoch) return false;
    e.snapshot = JSON.stringify(snapshot);
    e.expiresAt = Date.now() + this.ttlMs;
    return true;
  }

  async drop(tenant: string, classId: string): Promise<void> {
    const e = this.entry(tenant, classId);
    e.epoch++;
    e.snapshot = null;
    e.expiresAt = Date.now() + this.ttlMs;
  }
}
