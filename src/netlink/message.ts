/**
 * Netlink message framing: the 16-byte `nlmsghdr`, bounds-checked parsing of
 * a datagram into messages, and encoding of one message.
 * @module
 */

import { NetlinkDecodeError } from "./errors.ts";

/** Size of `struct nlmsghdr`. */
export const NLMSG_HDRLEN = 16;
/** Message type: nothing. */
export const NLMSG_NOOP = 1;
/** Message type: error or ACK (`struct nlmsgerr`). */
export const NLMSG_ERROR = 2;
/** Message type: end of a multipart dump. */
export const NLMSG_DONE = 3;
/** Message type: data lost. */
export const NLMSG_OVERRUN = 4;

/** Flag: this is a request. */
export const NLM_F_REQUEST = 0x1;
/** Flag: part of a multipart reply. */
export const NLM_F_MULTI = 0x2;
/** Flag: ask for an ACK. */
export const NLM_F_ACK = 0x4;
/** Flag: echo the request. */
export const NLM_F_ECHO = 0x8;
/** Flag: the dump was interrupted by a change; its contents may be inconsistent. */
export const NLM_F_DUMP_INTR = 0x10;
/** Flag: return the whole table. */
export const NLM_F_ROOT = 0x100;
/** Flag: return all matching entries. */
export const NLM_F_MATCH = 0x200;
/** Flag: `NLM_F_ROOT | NLM_F_MATCH`. */
export const NLM_F_DUMP = 0x300;

/** rtnetlink: a link appeared or changed (also every dump reply). */
export const RTM_NEWLINK = 16;
/** rtnetlink: a link was removed. */
export const RTM_DELLINK = 17;
/** rtnetlink: request links. */
export const RTM_GETLINK = 18;

/** One netlink message; `payload` is a view into the received buffer. */
export interface NetlinkMessage {
  /** `nlmsg_type`. */
  type: number;
  /** `nlmsg_flags`. */
  flags: number;
  /** `nlmsg_seq`. */
  seq: number;
  /** `nlmsg_pid` (sender port id; 0 for the kernel's own messages). */
  pid: number;
  /** Bytes after the header, `nlmsg_len - 16` long (no copy). */
  payload: Uint8Array;
  /** Offset of the header in the parsed buffer. */
  offset: number;
}

/**
 * Rounds `length` up to the 4-byte netlink alignment.
 *
 * @example
 * ```ts
 * import { align4 } from "./message.ts";
 * align4(5); // 8
 * ```
 */
export function align4(length: number): number {
  return (length + 3) & ~3;
}

/**
 * Yields the messages of one datagram in order. Throws
 * {@linkcode NetlinkDecodeError} at the first header that is truncated, too
 * short or runs past the buffer; messages before it have been yielded already.
 *
 * @example
 * ```ts
 * import { iterateMessages } from "./message.ts";
 * for (const message of iterateMessages(new Uint8Array(0))) {
 *   console.log(message.type);
 * }
 * ```
 */
export function* iterateMessages(
  buffer: Uint8Array,
): Generator<NetlinkMessage, void, undefined> {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
  let offset = 0;
  while (offset < buffer.length) {
    const length = messageLength(view, offset);
    yield {
      type: view.getUint16(offset + 4, true),
      flags: view.getUint16(offset + 6, true),
      seq: view.getUint32(offset + 8, true),
      pid: view.getUint32(offset + 12, true),
      payload: buffer.subarray(offset + NLMSG_HDRLEN, offset + length),
      offset,
    };
    offset += align4(length);
  }
}

/**
 * `nlmsg_len` of the header at `offset` of `view`, checked: a truncated
 * header, a length shorter than the header or one that runs past the buffer
 * throws {@linkcode NetlinkDecodeError}.
 *
 * @example
 * ```ts
 * import { encodeMessage, NLMSG_DONE } from "./message.ts";
 * const bytes = encodeMessage({ type: NLMSG_DONE, flags: 0, seq: 1 });
 * messageLength(new DataView(bytes.buffer), 0); // 16
 * ```
 */
export function messageLength(view: DataView, offset: number): number {
  const remaining = view.byteLength - offset;
  if (remaining < NLMSG_HDRLEN) {
    throw new NetlinkDecodeError(
      `truncated nlmsghdr: ${remaining} bytes left, need ${NLMSG_HDRLEN}`,
      offset,
    );
  }
  const length = view.getUint32(offset, true);
  if (length < NLMSG_HDRLEN) {
    throw new NetlinkDecodeError(
      `nlmsg_len ${length} shorter than the header`,
      offset,
    );
  }
  if (length > remaining) {
    throw new NetlinkDecodeError(
      `nlmsg_len ${length} runs past the buffer (${remaining} bytes left)`,
      offset,
    );
  }
  return length;
}

/**
 * Parses a whole datagram into messages, or throws
 * {@linkcode NetlinkDecodeError} if any header is bad.
 *
 * @example
 * ```ts
 * import { encodeMessage, parseMessages, NLMSG_DONE } from "./message.ts";
 * const bytes = encodeMessage({ type: NLMSG_DONE, flags: 0, seq: 1 });
 * parseMessages(bytes)[0].seq; // 1
 * ```
 */
export function parseMessages(buffer: Uint8Array): NetlinkMessage[] {
  return Array.from(iterateMessages(buffer));
}

/** What {@linkcode encodeMessage} needs; `pid` and `payload` default to 0/empty. */
export interface MessageInit {
  /** `nlmsg_type`. */
  type: number;
  /** `nlmsg_flags`. */
  flags: number;
  /** `nlmsg_seq`. */
  seq: number;
  /** `nlmsg_pid`; defaults to 0. */
  pid?: number;
  /** The payload; defaults to empty. */
  payload?: Uint8Array;
}

/**
 * Encodes one message (header + payload), padded to 4 bytes.
 *
 * @example
 * ```ts
 * import { encodeMessage, NLMSG_DONE } from "./message.ts";
 * encodeMessage({ type: NLMSG_DONE, flags: 0, seq: 7 }).length; // 16
 * ```
 */
export function encodeMessage(init: MessageInit): Uint8Array<ArrayBuffer> {
  const payload = init.payload ?? new Uint8Array(0);
  const length = NLMSG_HDRLEN + payload.length;
  const bytes = new Uint8Array(align4(length));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, length, true);
  view.setUint16(4, init.type, true);
  view.setUint16(6, init.flags, true);
  view.setUint32(8, init.seq >>> 0, true);
  view.setUint32(12, (init.pid ?? 0) >>> 0, true);
  bytes.set(payload, NLMSG_HDRLEN);
  return bytes;
}

/**
 * Concatenates encoded messages into one datagram-like buffer.
 *
 * @example
 * ```ts
 * import { concatMessages } from "./message.ts";
 * concatMessages([new Uint8Array(16), new Uint8Array(16)]).length; // 32
 * ```
 */
export function concatMessages(
  messages: readonly Uint8Array[],
): Uint8Array<ArrayBuffer> {
  let total = 0;
  for (const message of messages) total += align4(message.length);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const message of messages) {
    out.set(message, offset);
    offset += align4(message.length);
  }
  return out;
}

/** The decoded body of an `NLMSG_ERROR` message. */
export interface ErrorPayload {
  /** Positive errno, or 0 for an ACK. */
  errno: number;
  /** Header of the request it answers, when present. */
  request: { type: number; seq: number } | null;
}

/**
 * Decodes the `struct nlmsgerr` payload of an `NLMSG_ERROR` message.
 *
 * @example
 * ```ts
 * import { decodeErrorPayload } from "./message.ts";
 * decodeErrorPayload(new Uint8Array([0xf6, 0xff, 0xff, 0xff])).errno; // 10
 * ```
 */
export function decodeErrorPayload(payload: Uint8Array): ErrorPayload {
  if (payload.length < 4) {
    throw new NetlinkDecodeError(
      `nlmsgerr needs 4 bytes, got ${payload.length}`,
      NLMSG_HDRLEN,
    );
  }
  const view = new DataView(
    payload.buffer,
    payload.byteOffset,
    payload.length,
  );
  const raw = view.getInt32(0, true);
  const errno = raw === 0 ? 0 : -raw;
  const request = payload.length >= 4 + NLMSG_HDRLEN
    ? { type: view.getUint16(8, true), seq: view.getUint32(12, true) }
    : null;
  return { errno, request };
}
