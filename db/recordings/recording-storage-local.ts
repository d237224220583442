import { createReadStream, promises as fsp } from "node:fs";
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
    await fsp.mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.${Date.now()}.part`;
    await fsp.copyFile(path, tmp);
    await fsp.rename(tmp, target);
    return (await fsp.stat(target)).size;
  }

  async size(key: string): Promise<number | undefined> {
    const s = await fsp.stat(this.path(key)).catch(() => undefined);
    return s?.isFile() ? s.size : undefined;
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.path(key);
    if ((await this.size(key)) === undefined) throw new AppError(ErrorCode.NotFound, "no such recording file");
    return createReadStream(path, range ? { start: range.start, end: range.end } : {});
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.path(key), { force: true });
  }
}
