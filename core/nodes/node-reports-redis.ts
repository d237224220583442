import type { RedisClient } from "../redis-client";
import { NODE_REPORT_RETENTION_MS, type NodeReport, type NodeReports } from "./node-reports";

/** NodeReports on Redis: one hash `<prefix>node-reports`, node id → the JSON of its latest report. */
export class RedisNodeReports implements NodeReports {
  private readonly key: string;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.key = `${prefix}node-reports`;
  }

  async put(report: NodeReport): Promise<void> {
    await this.redis.hset(this.key, report.node, JSON.stringify(report));
  }

  async list(): Promise<NodeReport[]> {
    const all = await this.redis.hgetall(this.key);
    const oldest = Date.now() - NODE_REPORT_RETENTION_MS;
    const reports: NodeReport[] = [];
    const gone: string[] = [];
    for (const [node, value] of Object.entries(all)) {
      let report: NodeReport | undefined;
      try {
        report = JSON.parse(value) as NodeReport;
      } catch {
        report = undefined;
      }
      if (!report || typeof report.at !== "number" || report.at < oldest) gone.push(node);
      else reports.push(report);
    }
    if (gone.length > 0) await this.redis.hdel(this.key, ...gone);
    return reports.sort((a, b) => a.node.localeCompare(b.node));
  }

  async remove(node: string): Promise<void> {
    await this.redis.hdel(this.key, node);
  }
}
