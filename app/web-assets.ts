import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { AppError, ErrorCode, httpStatusOf, type ErrorCodeValue } from "../core/errors";
import type { FetchHandler } from "./adapter/http-endpoint";

/** The browser pages every node serves (built from web/<page> into dist/web/<page> by `npm run build`). */
export const WEB_PAGES = ["classroom", "admin"] as const;

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * dist/web, found from `moduleUrl` upward (the first ancestor with dist/web): the same lookup works from
 * source (app/web-assets.ts → the package root) and from the bundle (dist/app/main.js). Undefined when
 * the pages were not built.
 */
export function findWebRoot(moduleUrl: string): string | undefined {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const candidate = join(dir, "dist", "web");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The API's error shape (`{ error: { code, message } }`), as every REST answer has it. */
function problem(code: ErrorCodeValue, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error: new AppError(code, message).toBody() }), {
    status: httpStatusOf(code),
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/**
 * Serves the built pages in front of `next` (the API): `GET /` redirects to the classroom, `GET /<page>` redirects to `/<page>/`, which is its
 * index.html; `/<page>/<file>` is that file of dist/web/<page>. Only GET and HEAD (others: 405 with Allow);
 * paths that leave the page's directory, and files that do not exist, are 404. Anything else goes to `next`.
 * Files are read once and kept (the build is immutable while the process runs); `no-cache` so a rebuilt
 * node's pages are revalidated.
 */
export function serveWebPages(next: FetchHandler, webRoot: string | undefined): FetchHandler {
  const cache = new Map<string, { body: Uint8Array<ArrayBuffer>; type: string }>();
  const read = (page: string, rel: string): { body: Uint8Array<ArrayBuffer>; type: string } | undefined => {
    if (!webRoot) return undefined;
    const base = join(webRoot, page);
    const file = normalize(join(base, rel === "" ? "index.html" : rel));
    if (!file.startsWith(base + sep)) return undefined;
    const hit = cache.get(file);
    if (hit) return hit;
    if (!existsSync(file) || !statSync(file).isFile()) return undefined;
    const bytes = readFileSync(file);
    const body = new Uint8Array(bytes.byteLength);
    body.set(bytes);
    const entry = { body, type: CONTENT_TYPES[extname(file)] ?? "application/octet-stream" };
    cache.set(file, entry);
    return entry;
  };
  return (req) => {
    const url = new URL(req.url);
    // the front page of a node is its classroom
    if (url.pathname === "/" && (req.method === "GET" || req.method === "HEAD") && webRoot) {
      return new Response(null, { status: 302, headers: { location: "/classroom/" } });
    }
    const [, page, ...rest] = url.pathname.split("/");
    if (!page || !(WEB_PAGES as readonly string[]).includes(page)) return next(req);
    if (req.method !== "GET" && req.method !== "HEAD") return problem(ErrorCode.MethodNotAllowed, `${req.method} is not allowed on /${page}`, { allow: "GET, HEAD" });
    if (rest.length === 0) return new Response(null, { status: 301, headers: { location: `/${page}/${url.search}` } });
    let rel: string;
    try {
      rel = decodeURIComponent(rest.join("/"));
    } catch {
      return problem(ErrorCode.NotFoundRoute, `not found: ${url.pathname}`);
    }
    if (rel.includes("\0")) return problem(ErrorCode.NotFoundRoute, `not found: ${url.pathname}`);
    const file = read(page, rel);
    if (!file) {
      const hint = webRoot ? "" : " (the pages are not built: run `npm run build`)";
      return problem(ErrorCode.NotFoundRoute, `not found: ${url.pathname}${hint}`);
    }
    return new Response(req.method === "HEAD" ? null : file.body, {
      status: 200,
      headers: { "content-type": file.type, "content-length": String(file.body.byteLength), "cache-control": "no-cache", "x-content-type-options": "nosniff" },
    });
  };
}
