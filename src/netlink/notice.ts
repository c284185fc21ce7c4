/**
 * Turning one received datagram into {@linkcode NetlinkNotice}s. Pure (no
 * FFI), so the receive path's decoding is testable and benchable alone.
 * @module
 */

import { NetlinkDecodeError } from "./errors.ts";
import { decodeLinkAt } from "./link_decode.ts";
import {
  align4,
  decodeErrorPayload,
  messageLength,
  NLM_F_DUMP_INTR,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_HDRLEN,
  RTM_DELLINK,
  RTM_NEWLINK,
} from "./message.ts";
import { errnoName } from "../../ffi/errno.ts";
import type { NetlinkNotice } from "./types.ts";

/** Counters {@linkcode decodeNotices} adds to. */
export interface DecodeStats {
  /** Messages (or datagram tails) that failed to decode and were skipped. */
  decodeErrors: number;
  /** Messages that carried NLM_F_DUMP_INTR. */
  dumpInterrupted: number;
}

/** Options of {@linkcode decodeNotices}. */
export interface DecodeNoticesOptions {
  /**
   * Our socket's netlink port id. Messages addressed from another port (i.e.
   * multicast notifications, even ones the kernel stamped with another
   * process's request seq) get `seq: 0`. When omitted, `nlmsg_seq` is kept.
   */
  portId?: number;
  /** Counters to update; a fresh object is used when omitted. */
  stats?: DecodeStats;
}

/**
 * Decodes every message of one datagram into notices, in order. Never
 * throws: undecodable messages are skipped and counted in `stats`, unrelated
 * types and ACKs are skipped.
 *
 * @example
 * ```ts
 * import { decodeNotices } from "./notice.ts";
 * import { encodeMessage, NLMSG_DONE } from "./message.ts";
 * decodeNotices(encodeMessage({ type: NLMSG_DONE, flags: 2, seq: 9 }));
 * // [{ kind: "dump_done", seq: 9 }]
 * ```
 */
export function decodeNotices(
  datagram: Uint8Array,
  options: DecodeNoticesOptions = {},
): NetlinkNotice[] {
  const stats = options.stats ?? { decodeErrors: 0, dumpInterrupted: 0 };
  const portId = options.portId;
  const notices: NetlinkNotice[] = [];
  const view = new DataView(
    datagram.buffer,
    datagram.byteOffset,
    datagram.length,
  );
  // The framing of iterateMessages, read in place (no message objects).
  let offset = 0;
  try {
    while (offset < datagram.length) {
      const length = messageLength(view, offset);
      const type = view.getUint16(offset + 4, true);
      const flags = view.getUint16(offset + 6, true);
      const seq = portId === undefined ||
          view.getUint32(offset + 12, true) === portId
        ? view.getUint32(offset + 8, true)
        : 0;
      if ((flags & NLM_F_DUMP_INTR) !== 0) stats.dumpInterrupted++;
      try {
        if (type === RTM_NEWLINK || type === RTM_DELLINK) {
          const event = decodeLinkAt(datagram, view, {
            start: offset + NLMSG_HDRLEN,
            end: offset + length,
            type,
            base: offset + NLMSG_HDRLEN,
          });
          notices.push({ kind: "link", event, seq });
        } else if (type === NLMSG_DONE) {
          notices.push({ kind: "dump_done", seq });
        } else if (type === NLMSG_ERROR) {
          const { errno } = decodeErrorPayload(
            datagram.subarray(offset + NLMSG_HDRLEN, offset + length),
          );
          if (errno !== 0) {
            notices.push({ kind: "error", seq, errno, name: errnoName(errno) });
          }
        }
      } catch (error) {
        if (!(error instanceof NetlinkDecodeError)) throw error;
        stats.decodeErrors++;
      }
      offset += align4(length);
    }
  } catch (error) {
    if (!(error instanceof NetlinkDecodeError)) throw error;
    stats.decodeErrors++;
  }
  return notices;
}
