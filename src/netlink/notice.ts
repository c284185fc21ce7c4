/**
 * Turning one received datagram into {@linkcode NetlinkNotice}s. Pure (no
 * FFI), so the receive path's decoding is testable and benchable alone.
 * @module
 */

import { NetlinkDecodeError } from "./errors.ts";
import { decodeLinkMessage } from "./link.ts";
import {
  decodeErrorPayload,
  iterateMessages,
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
  const notices: NetlinkNotice[] = [];
  try {
    for (const message of iterateMessages(datagram)) {
      const seq = options.portId === undefined || message.pid === options.portId
        ? message.seq
        : 0;
      if ((message.flags & NLM_F_DUMP_INTR) !== 0) stats.dumpInterrupted++;
      try {
        if (message.type === RTM_NEWLINK || message.type === RTM_DELLINK) {
          const event = decodeLinkMessage(message.payload, message.type, {
            baseOffset: message.offset + NLMSG_HDRLEN,
          });
          notices.push({ kind: "link", event, seq });
        } else if (message.type === NLMSG_DONE) {
          notices.push({ kind: "dump_done", seq });
        } else if (message.type === NLMSG_ERROR) {
          const { errno } = decodeErrorPayload(message.payload);
          if (errno !== 0) {
            notices.push({ kind: "error", seq, errno, name: errnoName(errno) });
          }
        }
      } catch (error) {
        if (!(error instanceof NetlinkDecodeError)) throw error;
        stats.decodeErrors++;
      }
    }
  } catch (error) {
    if (!(error instanceof NetlinkDecodeError)) throw error;
    stats.decodeErrors++;
  }
  return notices;
}
