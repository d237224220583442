/** The REST API on the page's own origin, as one signed-in caller. */
import { request } from "../shared/rest";

export { ApiError, devToken, type AttendanceRow, type LiveClass } from "../shared/rest";

export interface QuotaUse {
  used: number;
  limit: number;
  share: number;
  level: "ok" | "warn" | "full";
}
export interface School {
  tenant: string;
  connections: QuotaUse;
  messagesPerSecond: QuotaUse;
}
export interface Room {
  room: string;
  title: string;
  private: boolean;
  createdBy: string;
  createdAt: string;
}
export interface NodeStatus {
  node: string;
  status: "up" | "silent";
  reportedAt: string;
  roles: string[];
  connections: number;
  eventLoopLagMs: number;
  eventLoopBusy: number;
  rssBytes: number;
  checks: Record<string, boolean>;
  draining: boolean;
  overloaded: boolean;
}
export interface Letter {
  position: string;
  topic: string;
  key: string;
  reason: string;
  at: string;
  value: string;
}
export const QUOTA_KEYS = ["maxConnections", "maxMessagesPerSecond", "maxBroadcastRecipients", "maxPayloadBytes", "apiRequestsPerMinute"] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];
export type Quotas = Record<QuotaKey, number>;
export type Overrides = Partial<Record<QuotaKey, number | null>>;

/** Who a token says it is (read from its payload for the page; the server checks the signature). */
export interface Caller {
  user: string;
  tenant: string;
  role: string;
}

export function callerOf(token: string): Caller | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as { sub?: unknown; tenant?: unknown; role?: unknown };
    if (typeof claims.sub !== "string" || typeof claims.tenant !== "string" || typeof claims.role !== "string") return undefined;
    return { user: claims.sub, tenant: claims.tenant, role: claims.role };
  } catch {
    return undefined;
  }
}

export class AdminApi {
  constructor(private readonly token: string) {}

  private call(method: string, path: string, body?: unknown): Promise<Response> {
    return request(method, path, this.token, body);
  }

  async get<T>(path: string): Promise<T> {
    return (await (await this.call("GET", path)).json()) as T;
  }

  async send<T>(method: "POST" | "PUT", path: string, body: unknown): Promise<T> {
    return (await (await this.call(method, path, body)).json()) as T;
  }

  async blob(path: string): Promise<Blob> {
    return (await this.call("GET", path)).blob();
  }
}

export const school = (tenant: string): string => `/v1/admin/schools/${encodeURIComponent(tenant)}`;
