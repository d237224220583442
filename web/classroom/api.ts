/** The REST calls of the classroom page (same origin as the page). */

export interface LiveClass {
  id: string;
  title: string;
  teacher: string;
  room: string;
  scheduledAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, token: string | undefined, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as unknown) : {};
  if (!res.ok) {
    const error = (parsed as { error?: { code?: number; message?: string } }).error;
    throw new ApiError(res.status, error?.code, error?.message ?? `${method} ${path}: ${res.status}`);
  }
  return parsed as T;
}

/** Dev sign-in (embedded mode, or AUTH_DEV_TOKENS=1): a token for any tenant, user and role. */
export async function devToken(tenant: string, user: string, role: string): Promise<string> {
  return (await call<{ token: string }>("POST", "/v1/dev/tokens", undefined, { tenant, user, role })).token;
}

export function createClass(token: string, title: string, room: string): Promise<LiveClass> {
  return call<LiveClass>("POST", "/v1/classes", token, { title, room, scheduledAt: new Date().toISOString() });
}

export function getClass(token: string, id: string): Promise<LiveClass> {
  return call<LiveClass>("GET", `/v1/classes/${encodeURIComponent(id)}`, token);
}

export interface AttendanceRow {
  user: string;
  firstJoin: string;
  lastLeave: string | null;
  secondsPresent: number;
  reconnects: number;
  present: boolean;
}

export function attendance(token: string, id: string): Promise<{ classId: string; participants: AttendanceRow[] }> {
  return call("GET", `/v1/classes/${encodeURIComponent(id)}/attendance`, token);
}
