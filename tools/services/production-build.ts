import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildProduction, distDir } from "../build/production";

/** Set to the id of the dist/ build made for this run; child processes inherit it. */
const BUILD_ID_ENV = "INTERLINKED_BUILD_ID";
const stampFile = join(distDir, ".build-id");

function readStamp(): string | undefined {
  try {
    return readFileSync(stampFile, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * Makes sure dist/ holds a production build made during this run: the first call in a process tree
 * builds (well under a second) and stamps dist/ with a fresh id exported in the environment; later calls,
 * here or in child processes (test workers, bench nodes), return at once while dist/ still carries that
 * stamp. A dist/ left by an earlier run, or rebuilt by someone else since, never matches, so it is rebuilt
 * rather than silently used.
 */
export function ensureBuilt(): void {
  const current = process.env[BUILD_ID_ENV];
  if (current && readStamp() === current) return;
  buildProduction();
  const id = randomUUID();
  writeFileSync(stampFile, id);
  process.env[BUILD_ID_ENV] = id;
}
