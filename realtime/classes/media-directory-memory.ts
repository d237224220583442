import { AppError, ErrorCode } from "../../core/errors";
import { classHash, type MediaDirectory } from "./media-directory";

/** MediaDirectory in one process (embedded default, unit tests). */
export class MemoryMediaDirectory implements MediaDirectory {
  private readonly nodes = new Map<string, number>();
  private readonly placements = new Map<string, string>();

  async register(nodeId: string, ttlMs: number): Promise<void> {
    this.nodes.set(nodeId, Date.now() + ttlMs);
  }

  async unregister(nodeId: string): Promise<void> {
    this.nodes.delete(nodeId);
  }

  private alive(nodeId: string): boolean {
    return (this.nodes.get(nodeId) ?? 0) > Date.now();
  }

  async locate(classKey: string): Promise<string> {
    const current = this.placements.get(classKey);
    if (current && this.alive(current)) return current;
    const live = [...this.nodes.keys()].filter((n) => this.alive(n)).sort();
    const pick = live[classHash(classKey) % Math.max(1, live.length)];
    if (!pick) throw new AppError(ErrorCode.MediaUnavailable, "no media node is available for live classes");
    this.placements.set(classKey, pick);
    return pick;
  }

  async forget(classKey: string): Promise<void> {
    this.placements.delete(classKey);
  }
}
