import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { serveWebPages } from "./web-assets";

describe("serveWebPages", () => {
  const root = mkdtempSync(join(tmpdir(), "web-assets-"));
  const web = join(root, "dist", "web");
  mkdirSync(join(web, "classroom"), { recursive: true });
  writeFileSync(join(web, "classroom", "index.html"), "<!doctype html><title>classroom</title>");
  writeFileSync(join(web, "classroom", "main.js"), "console.log(1)");
  writeFileSync(join(root, "dist", "secret.txt"), "not a page file");
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const api = (req: Request): Response => new Response(`api ${new URL(req.url).pathname}`, { status: 200 });
  const serve = serveWebPages(api, web);
  const get = (path: string, method = "GET"): Promise<Response> => Promise.resolve(serve(new Request(`http://node${path}`, { method })));

  it("serves a page's index.html at /<page>/ and its files below it, with their types", async () => {
    const index = await get("/classroom/");
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await index.text()).toContain("<title>classroom</title>");
    const js = await get("/classroom/main.js");
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await js.text()).toBe("console.log(1)");
    const head = await get("/classroom/main.js", "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("14");
  });

  it("redirects /<page> to /<page>/ (query kept) and / to the classroom", async () => {
    const page = await get("/classroom?class=abc");
    expect([page.status, page.headers.get("location")]).toEqual([301, "/classroom/?class=abc"]);
    const front = await get("/");
    expect([front.status, front.headers.get("location")]).toEqual([302, "/classroom/"]);
  });

  it("never leaves the page's directory, and answers missing files and other methods with numbered errors", async () => {
    // a literal ../ is resolved by the URL parser before it gets here: it is another path, not a file of the page
    expect(await (await get("/classroom/../secret.txt")).text()).toBe("api /secret.txt");
    expect(await (await get("/classroom/%2e%2e/secret.txt")).text()).toBe("api /secret.txt");
    for (const path of ["/classroom/..%2f..%2fsecret.txt", "/classroom/%00", "/classroom/%E0%A4%A", "/classroom/nope.js"]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect((await res.json()) as unknown, path).toMatchObject({ error: { code: 1005 } });
    }
    const post = await get("/classroom/", "POST");
    expect([post.status, post.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
    expect((await post.json()) as unknown).toMatchObject({ error: { code: 1008 } });
  });

  it("hands every other path to the API, and says how to build when the pages are missing", async () => {
    expect(await (await get("/v1/rooms")).text()).toBe("api /v1/rooms");
    expect(await (await get("/classroomx/")).text()).toBe("api /classroomx/");
    const unbuilt = serveWebPages(api, undefined);
    const res = await Promise.resolve(unbuilt(new Request("http://node/admin/")));
    expect(res.status).toBe(404);
    expect(JSON.stringify(await res.json())).toContain("npm run build");
    expect(await (await Promise.resolve(unbuilt(new Request("http://node/")))).text()).toBe("api /");
  });
});
