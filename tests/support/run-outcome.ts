import { rmSync } from "node:fs";
import type { Reporter, TestRunEndReason } from "vitest/node";

/**
 * Shared between the global setup's teardown and this reporter. Both run in vitest's main process but
 * may load this module separately, so the state lives on globalThis. Whichever of the two comes last
 * decides: the service logs are deleted when the run passed and kept (and named) when it failed.
 */
interface RunState {
  failed?: boolean;
  dir?: string;
}
const key = Symbol.for("interlinked.test-run");
const state = ((globalThis as Record<symbol, RunState | undefined>)[key] ??= {});

function settle(): void {
  if (state.failed === undefined || state.dir === undefined) return;
  if (state.failed) console.log(`[services] run failed: service logs kept in ${state.dir}/logs`);
  else rmSync(state.dir, { recursive: true, force: true });
}

/** Called by the teardown once services are stopped and only their logs remain. */
export function servicesStopped(dir: string): void {
  state.dir = dir;
  settle();
}

export class RunOutcomeReporter implements Reporter {
  onTestRunEnd(_modules: unknown, errors: ReadonlyArray<unknown>, reason: TestRunEndReason): void {
    state.failed = reason !== "passed" || errors.length > 0;
    settle();
  }
}
