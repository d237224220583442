import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { openDatabase, type DatabaseHandle } from "../../db/database";

/**
 * Copies the run's migrated template (tests/pglite-template.ts) to `dir`, so PGlite opening it skips
 * initdb; leaves `dir` alone (PGlite initializes it) when no template was provided.
 */
export function copyPgliteTemplate(dir: string): void {
  const template = inject("pgliteTemplate");
  if (template) cpSync(template, dir, { recursive: true });
}

/** A fresh temp directory holding a copy of the template. */
export function freshPgliteDir(prefix = "interlinked-pglite-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  copyPgliteTemplate(dir);
  return dir;
}

/** A migrated PGlite database of its own; closing it deletes its directory. */
export async function openTestPglite(): Promise<DatabaseHandle> {
  const dataDir = freshPgliteDir();
  const handle = await openDatabase({ dataDir });
  await handle.migrate();
  return {
    ...handle,
    close: async () => {
      await handle.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
