import { findSourceMap, type SourceMap } from "node:module";

/**
 * Source positions for the stacks a node logs, without Node's source-mapped `Error.stack`.
 *
 * Production runs the bundle with `--enable-source-maps`, which loads the bundle's map, and then turns the
 * mapping of every `err.stack` off (`stackTracesUnmapped`): Node's own stream code reads the stack of every
 * failed socket write (streams/writable `onwrite`). During a reconnect storm, with clients that gave up
 * leaving writes failing, formatting those stacks took 4.4 % of a surviving node's main thread with mapping
 * on and 3.4 % with it off (CPU profiles of `npm run chaos`, 10,000 clients; building the errors took
 * another 3.4 %). The stacks that matter, the logged ones, are mapped here instead:
 * `mapStack` rewrites each frame of a file that has a loaded map to its original file, line and column, and
 * leaves every other frame as it is.
 */

/** Turns Node's source-mapped stacks off for this process; `mapStack` still maps logged stacks (the maps stay loaded). */
export function stackTracesUnmapped(): void {
  process.setSourceMapsEnabled(false);
}

const FRAME = /(\(|at )((?:file:\/\/)?\/[^():\s]+):(\d+):(\d+)(\)?)$/;
const maps = new Map<string, SourceMap | undefined>();

function mapOf(file: string): SourceMap | undefined {
  if (!maps.has(file)) maps.set(file, findSourceMap(file) ?? findSourceMap(file.startsWith("file://") ? new URL(file).pathname : `file://${file}`));
  return maps.get(file);
}

/** `stack` with each frame of a source-mapped file at its original position (`…(/src/x.ts:12:5)`). */
export function mapStack(stack: string): string {
  return stack
    .split("\n")
    .map((line) => {
      const m = FRAME.exec(line);
      if (!m) return line;
      const [whole, open, file, row, col, close] = m as unknown as [string, string, string, string, string, string];
      const map = mapOf(file);
      if (!map) return line;
      const entry = map.findEntry(Number(row) - 1, Number(col) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
      if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return line;
      const source = entry.originalSource.startsWith("file://") ? new URL(entry.originalSource).pathname : entry.originalSource;
      return `${line.slice(0, line.length - whole.length)}${open}${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}${close}`;
    })
    .join("\n");
}
