import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A command the provisioning needs, where to look for it, and the Debian package that has it. */
export interface Requirement {
  what: string;
  /** Absolute paths to try first, then each name on PATH. */
  candidates: string[];
  aptPackage: string;
}

async function which(name: string): Promise<string | undefined> {
  if (name.startsWith("/")) return existsSync(name) ? name : undefined;
  try {
    const { stdout } = await run("sh", ["-c", `command -v ${name}`]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function locate(req: Requirement): Promise<string | undefined> {
  for (const c of req.candidates) {
    const found = await which(c);
    if (found) return found;
  }
  return undefined;
}

/**
 * Finds every requirement; installs the missing ones' Debian packages in one apt-get run when root
 * (and apt-get exists); otherwise throws one error naming everything missing and how to get it.
 */
export async function ensureCommands(reqs: Requirement[], log: (line: string) => void): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const missing: Requirement[] = [];
  for (const req of reqs) {
    const path = await locate(req);
    if (path) found.set(req.what, path);
    else missing.push(req);
  }
  if (missing.length === 0) return found;
  const pkgs = [...new Set(missing.map((m) => m.aptPackage))];
  const isRoot = process.getuid?.() === 0;
  const hasApt = (await which("apt-get")) !== undefined;
  if (!isRoot || !hasApt) {
    throw new Error(
      `missing: ${missing.map((m) => m.what).join(", ")}. Install them (Debian: apt-get install -y ${pkgs.join(" ")}) ` +
        `or point the tests at running services with REDIS_URL / DATABASE_URL / KAFKA_BROKERS.`,
    );
  }
  log(`installing Debian packages: ${pkgs.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  await run("apt-get", ["update", "-qq"], { env, maxBuffer: 64 << 20 }).catch(() => undefined);
  await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...pkgs], { env, maxBuffer: 64 << 20 });
  for (const req of missing) {
    const path = await locate(req);
    if (!path) throw new Error(`${req.what} still missing after apt-get install ${req.aptPackage}`);
    found.set(req.what, path);
  }
  return found;
}
