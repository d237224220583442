import type { ClassSnapshot } from "./class-snapshot";

/** What `claim` returns: the ownership token and the class's last saved state. */
export interface ClassClaim {
  /** Grows with every claim (and drop) of the class; a save with an older epoch is refused. */
  epoch: number;
  /** The last snapshot saved for the class (by any node), or null. */
  snapshot: ClassSnapshot | null;
}

/**
 * Where a live class's state (roles, hands, removals, mutes, start, recording: media/state/class-snapshot.ts)
 * is kept so that it outlives the media node hosting the class. A media node `claim`s a class when it
 * opens its session and `save`s the whole snapshot after every change.
 *
 * Guarantees (class-state-store.case.ts checks them against every implementation):
 * - `claim` is atomic: it returns the last saved snapshot and an epoch greater than every epoch handed out
 *   before for the class (within the TTL), so no two claims share an epoch.
 * - `save` writes the snapshot only while `epoch` is the class's latest claim and returns false otherwise
 *   (fencing: a node that lost the class, e.g. one wrongly thought dead, cannot overwrite the state of the
 *   node that took over). A save that returned true is seen by every later `claim`.
 * - A snapshot comes back equal to what was saved (JSON values) and is never shared with the caller.
 * - `drop` forgets the snapshot (the class ended) and fences every claim made before it. State is forgotten
 *   `CLASS_STATE_TTL_MS` after the last claim or save.
 * - The Redis implementation keeps each class's keys in one Redis Cluster slot (core/tenant-keys.ts
 *   `classStateKeys`), so it runs on a single Redis and on a cluster alike.
 */
export interface ClassStateStore {
  claim(tenant: string, classId: string): Promise<ClassClaim>;
  save(tenant: string, classId: string, epoch: number, snapshot: ClassSnapshot): Promise<boolean>;
  drop(tenant: string, classId: string): Promise<void>;
}

/** How long a class's state is kept after its last claim or save. */
export const CLASS_STATE_TTL_MS = 86_400_000;
