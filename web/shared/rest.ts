/** The REST API on the page's own origin, shared by the pages: the numbered error, one call, dev sign-in, and the shapes both show. */

/** A failed call: the API's numbered error (docs/PROTOCOL.md); `code` 0 when the answer carried none. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(`${message} (${code})`);
  }
}

async function failure(res: Response): Promise<ApiError> {
  const body = (await res.json().catch(() => ({}))) as { error?: { code?: number; message?: string } };
  return new ApiError(res.status, body.error?.code ?? 0, body.error?.message ?? res.statusText);
}

/** One request with the caller's bearer token (when given) and a JSON body (when given); a non-2xx answer throws ApiError. */
export async function request(method: string, path: string, token: string | undefined, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw await failure(res);
  return res;
}

/** `request` answered with JSON (an empty body is `{}`). */
export async function requestJson<T>(method: string, path: string, token: string | undefined, body?: unknown): Promise<T> {
  const text = await (await request(method, path, token, body)).text();
  return (text ? JSON.parse(text) : {}) as T;
}

/** Dev sign-in (embedded mode, or AUTH_DEV_TOKENS=1): a token for any tenant, user and role. */
export async function devToken(tenant: string, user: string, role: string): Promise<string> {
  return (await requestJson<{ token: string }>("POST", "/v1/dev/tokens", undefined, { tenant, user, role })).token;
}

export interface LiveClass {
  id: string;
  title: string;
  teacher: string;
  room: string;
  scheduledAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

export interface AttendanceRow {
  user: string;
  /** Null for a roster member who never joined. */
  firstJoin: string | null;
  lastLeave: string | null;
  secondsPresent: number;
  reconnects: number;
  present: boolean;
  /** Classes with a roster only: member, absent (never joined) or guest (off the roster). */
  status?: "member" | "absent" | "guest";
}
