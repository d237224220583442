import { mintToken } from "./nodes";
import type { Role } from "../../core/auth";

export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** A tiny REST client acting as one user of one tenant. */
export async function apiAs(url: string, tenant: string, user: string, role: Role = "student") {
  const token = await mintToken(tenant, user, role);
  const call = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<HttpResult<T>> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T, headers: res.headers };
  };
  return {
    token,
    get: <T = Record<string, unknown>>(path: string) => call<T>("GET", path),
    post: <T = Record<string, unknown>>(path: string, body: unknown) => call<T>("POST", path, body),
    put: <T = Record<string, unknown>>(path: string, body?: unknown) => call<T>("PUT", path, body),
    patch: <T = Record<string, unknown>>(path: string, body: unknown) => call<T>("PATCH", path, body),
    del: <T = Record<string, unknown>>(path: string) => call<T>("DELETE", path),
  };
}

export type ApiClient = Awaited<ReturnType<typeof apiAs>>;
