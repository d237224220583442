import { createReadStream } from "node:fs";
import { copyFile, mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { AppError, ErrorCode } from "../../core/errors";
import { assertStorageKey, type ByteRange, type RecordingStorage } from "../../core/recording-storage";

/**
 * Recording files in a local directory (default: `DATA_DIR/recordings`). `put` copies into a temporary
 * name then renames, so a reader never sees a half-written object.
 */
export class LocalRecordingStorage implements RecordingStorage {
  readonly kind = "local";

  constructor(private readonly root: string) {}

  private path(key: string): string {
    return join(this.root, assertStorageKey(key));
  }

  async put(key: string, path: string): Promise<number> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.${Date.now()}.part`;
    await copyFile(path, tmp);
    await rename(tmp, target);
    return (await stat(target)).size;
  }

  async size(key: string): Promise<number | undefined> {
    const s = await stat(this.path(key)).catch(() => undefined);
    return s?.isFile() ? s.size : undefined;
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.path(key);
    if ((await this.size(key)) === undefined) throw new AppError(ErrorCode.NotFound, "no such recording file");
    return createReadStream(path, range ? { start: range.start, end: range.end } : {});
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
