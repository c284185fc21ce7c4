/**
 * The one error type every netlink decode path may throw.
 * @module
 */

/**
 * A message or attribute that does not decode: what was wrong and at which
 * byte offset (relative to the buffer handed to the decoder).
 *
 * @example
 * ```ts
 * import { NetlinkDecodeError } from "./errors.ts";
 * const error = new NetlinkDecodeError("attribute length 2 < 4", 16);
 * error.offset; // 16
 * ```
 */
export class NetlinkDecodeError extends Error {
  /** Byte offset of the offending field. */
  readonly offset: number;
  /** What was wrong, without the offset. */
  readonly reason: string;

  /** Builds the error from a reason and the offset it applies to. */
  constructor(reason: string, offset: number) {
    super(`netlink decode error at offset ${offset}: ${reason}`);
    this.name = "NetlinkDecodeError";
    this.reason = reason;
    this.offset = offset;
  }
}
