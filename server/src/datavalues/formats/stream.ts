import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { formatNumber } from "@dieuhanh/core";
import { UploadTooLargeError } from "./limits";

const tooLarge = (limit: number) =>
  new UploadTooLargeError(
    `Tệp lớn hơn ${formatNumber(limit / 1024 / 1024)} MB: hãy chia thành nhiều tệp nhỏ hơn; không ghi dòng nào`,
  );

/**
 * An uploaded file read as it arrives, never held whole: its bytes counted (refused with 413 past the
 * limit, or at once when its Content-Length says so) and hashed on the way for the batch's record. The
 * request is never destroyed by the reader stopping early: Node discards the rest once the answer is sent.
 */
export class StreamedUpload {
  private readonly hash = createHash("sha256");
  private digest: string | null = null;
  private started = false;
  bytes = 0;

  constructor(
    private readonly source: Readable,
    private readonly limit: number,
    declaredBytes?: number,
  ) {
    if (declaredBytes !== undefined && declaredBytes > limit) throw tooLarge(limit);
  }

  /** The file's bytes, chunk by chunk, as they come; once only. */
  async *chunks(): AsyncGenerator<Buffer> {
    if (this.started) throw new Error("an upload is read once");
    this.started = true;
    for await (const chunk of this.source.iterator({ destroyOnReturn: false })) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      this.bytes += bytes.length;
      if (this.bytes > this.limit) throw tooLarge(this.limit);
      this.hash.update(bytes);
      yield bytes;
    }
  }

  /** The SHA-256 of the whole file: what the reader left unread is read (and counted) first. */
  async sha256(): Promise<string> {
    if (this.digest === null) {
      if (!this.started) for await (const _ of this.chunks());
      else for await (const chunk of this.source.iterator({ destroyOnReturn: false })) this.hash.update(chunk as Buffer);
      this.digest = this.hash.digest("hex");
    }
    return this.digest;
  }
}
