import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { AppError, ErrorCode } from "../../core/errors";

const exec = promisify(execFile);

/** An OS user to run PostgreSQL's tools as (the server refuses to run as root; its files must be its own). */
export interface RunAs {
  uid: number;
  gid: number;
}

/**
 * The directory of PostgreSQL's binaries: `given`, else PG_BIN, else the newest Debian install
 * (/usr/lib/postgresql/<17|16|15>/bin), else "" (found on PATH). The tools must be of the server's
 * major version (pg_basebackup refuses a newer server; a base backup restores only on its own major).
 */
export function pgBinDir(given?: string): string {
  if (given) return given;
  if (process.env.PG_BIN) return process.env.PG_BIN;
  for (const v of ["17", "16", "15"]) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(join(dir, "pg_basebackup"))) return dir;
  }
  return "";
}

/** Runs one of PostgreSQL's tools; a failure is an AppError (Internal) with the tool's stderr. */
export async function runPgTool(binDir: string, tool: string, args: string[], runAs?: RunAs): Promise<string> {
  const command = binDir ? join(binDir, tool) : tool;
  try {
    const { stdout } = await exec(command, args, { uid: runAs?.uid, gid: runAs?.gid, maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new AppError(ErrorCode.Internal, `${tool} failed: ${stderr.trim() || (err instanceof Error ? err.message : String(err))}`, { cause: err });
  }
}

/** Runs a system command (tar, …) the same way. */
export function runCommand(command: string, args: string[], runAs?: RunAs): Promise<string> {
  return runPgTool("", command, args, runAs);
}
