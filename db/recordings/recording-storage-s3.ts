import { createReadStream, promises as fsp } from "node:fs";
import { Readable } from "node:stream";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AppError, ErrorCode } from "../../core/errors";
import { assertStorageKey, type ByteRange, type RecordingStorage } from "../../core/recording-storage";

export interface S3StorageOptions {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Key prefix inside the bucket (e.g. `recordings/`). */
  prefix?: string;
  /** Path-style URLs (MinIO, s3rver, most self-hosted servers). Default true. */
  forcePathStyle?: boolean;
}

const status = (err: unknown): number | undefined => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/**
 * Recording files in an S3-compatible bucket (AWS S3, MinIO, s3rver…). A single PUT per object: S3
 * makes an object visible only once its upload completed. Range reads map to S3's `Range` header.
 */
export class S3RecordingStorage implements RecordingStorage {
  readonly kind = "s3";
  private readonly client: S3Client;

  constructor(private readonly options: S3StorageOptions) {
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? true,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      // plain signed PUTs: S3-compatible servers (s3rver, older MinIO) do not read aws-chunked checksum trailers
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  private key(key: string): string {
    return `${this.options.prefix ?? ""}${assertStorageKey(key)}`;
  }

  async put(key: string, path: string): Promise<number> {
    const { size } = await fsp.stat(path);
    await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: this.key(key), Body: createReadStream(path), ContentLength: size }));
    return size;
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) }));
      return head.ContentLength;
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw err;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: this.key(key), Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      if (!(out.Body instanceof Readable)) throw new Error("S3 returned no readable body");
      return out.Body;
    } catch (err) {
      if (status(err) === 404) throw new AppError(ErrorCode.NotFound, "no such recording file");
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.key(key) }));
  }

  close(): void {
    this.client.destroy();
  }
}
