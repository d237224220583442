import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { openDatabase } from "../db/database";

declare module "vitest" {
  export interface ProvidedContext {
    /** A migrated PGlite data directory to copy (tests/support/pglite.ts); never opened itself. */
    pgliteTemplate: string;
  }
}

const root = new URL("..", import.meta.url).pathname;

/** Changes with the migrations and the PGlite build: a template made by another version is never used. */
function templateKey(): string {
  const hash = createHash("sha256");
  hash.update(readFileSync(join(root, "node_modules/@electric-sql/pglite/package.json")));
  const migrations = join(root, "db/migrations");
  for (const entry of readdirSync(migrations, { recursive: true, encoding: "utf8" }).sort()) {
    const path = join(migrations, entry);
    if (entry.endsWith(".sql") || entry.endsWith(".json")) hash.update(entry).update(readFileSync(path));
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * Runs PGlite's initdb and the migrations once, into a cached directory (~/.cache/interlinked), and
 * provides its path: every embedded deployment and PGlite test copies it (a few hundred ms) instead of
 * initializing a cluster of its own (seconds each). Needs no service, so both tiers use it.
 */
export default async function setup(project: TestProject): Promise<void> {
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "interlinked");
  const template = join(cache, `pglite-template-${templateKey()}`);
  if (!existsSync(join(template, "PG_VERSION"))) {
    mkdirSync(cache, { recursive: true });
    const building = `${template}.${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    const handle = await openDatabase({ dataDir: building });
    await handle.migrate();
    await handle.close();
    try {
      renameSync(building, template);
    } catch (err) {
      // another run finished the same template first: use theirs
      rmSync(building, { recursive: true, force: true });
      if (!existsSync(join(template, "PG_VERSION"))) throw err;
    }
  }
  project.provide("pgliteTemplate", template);
}
