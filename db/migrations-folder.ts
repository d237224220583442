import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The db/migrations folder, found from `moduleUrl` upward: the first ancestor directory holding
 * db/migrations/meta/_journal.json. The same lookup works from source (db/database.ts → the package root)
 * and from a bundle (dist/app/main.js, dist/scripts/migrate.js → the package root, which ships
 * db/migrations next to dist/). Throws when no ancestor has it.
 */
export function findMigrationsFolder(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const candidate = join(dir, "db", "migrations");
    if (existsSync(join(candidate, "meta", "_journal.json"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`db/migrations not found above ${fileURLToPath(moduleUrl)}`);
    dir = parent;
  }
}
