/** @interlinked/sdk — the client SDK (docs/CLIENT.md). */
export * from "./codes";
export * from "./errors";
export * from "./request";
export type * from "./protocol";
