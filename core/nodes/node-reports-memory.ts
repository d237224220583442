import { NODE_REPORT_RETENTION_MS, type NodeReport, type NodeReports } from "./node-reports";

/** NodeReports of one process (embedded mode). */
export class MemoryNodeReports implements NodeReports {
  private readonly reports = new Map<string, NodeReport>();

  async put(report: NodeReport): Promise<void> {
    this.reports.set(report.node, report);
  }

  async list(): Promise<NodeReport[]> {
    const oldest = Date.now() - NODE_REPORT_RETENTION_MS;
    for (const [node, r] of this.reports) if (r.at < oldest) this.reports.delete(node);
    return [...this.reports.values()].sort((a, b) => a.node.localeCompare(b.node));
  }

  async remove(node: string): Promise<void> {
    this.reports.delete(node);
  }
}
