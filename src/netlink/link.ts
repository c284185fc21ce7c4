/**
 * rtnetlink link messages: `struct ifinfomsg` plus the IFLA_* attributes
 * portsyncd needs, decoded into a {@linkcode LinkEvent}; and the encoders
 * tests and benches use to build kernel-format messages.
 * @module
 */

import { AttributeEncoder } from "./attributes.ts";
import { NetlinkDecodeError } from "./errors.ts";
import { decodeLinkAt, IFF_RUNNING, OPERSTATE_NAMES } from "./link_decode.ts";
import {
  encodeMessage,
  NLM_F_DUMP,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
} from "./message.ts";
import type { LinkEvent } from "./types.ts";

/** Size of `struct ifinfomsg`. */
export const IFINFOMSG_LENGTH = 16;
/** `IFLA_ADDRESS`: link-layer address. */
export const IFLA_ADDRESS = 1;
/** `IFLA_IFNAME`: interface name. */
export const IFLA_IFNAME = 3;
/** `IFLA_MTU`. */
export const IFLA_MTU = 4;
/** `IFLA_MASTER`: ifindex of the bridge/LAG master. */
export const IFLA_MASTER = 10;
/** `IFLA_OPERSTATE`: RFC 2863 operational state (u8). */
export const IFLA_OPERSTATE = 16;
/** `IFLA_LINKINFO`: nested link kind information. */
export const IFLA_LINKINFO = 18;
/** `IFLA_INFO_KIND` inside `IFLA_LINKINFO`. */
export const IFLA_INFO_KIND = 1;
/** `IFF_UP`: administratively up. */
export const IFF_UP = 0x1;
export { IFF_RUNNING, OPERSTATE_NAMES } from "./link_decode.ts";

/** Options of {@linkcode decodeLinkMessage}. */
export interface DecodeLinkOptions {
  /** Offset of the payload in the datagram, for error offsets. Defaults to 0. */
  baseOffset?: number;
}

/**
 * Decodes the payload of an RTM_NEWLINK / RTM_DELLINK message (the bytes
 * after `nlmsghdr`). Throws only {@linkcode NetlinkDecodeError}, including
 * when IFLA_IFNAME is missing.
 *
 * @example
 * ```ts
 * import { decodeLinkMessage, encodeLinkMessage } from "./link.ts";
 * import { RTM_NEWLINK } from "./message.ts";
 * const bytes = encodeLinkMessage({ type: "newlink", name: "Ethernet0", ifindex: 2 });
 * decodeLinkMessage(bytes.subarray(16), RTM_NEWLINK).name; // "Ethernet0"
 * ```
 */
export function decodeLinkMessage(
  payload: Uint8Array | DataView,
  type: number,
  options: DecodeLinkOptions = {},
): LinkEvent {
  const base = options.baseOffset ?? 0;
  if (type !== RTM_NEWLINK && type !== RTM_DELLINK) {
    throw new NetlinkDecodeError(`message type ${type} is not a link`, base);
  }
  const bytes = payload instanceof Uint8Array
    ? payload
    : new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return decodeLinkAt(bytes, view, {
    start: 0,
    end: bytes.length,
    type,
    base,
  });
}

/** The fields of a link message to encode; only `type` and `name` are required. */
export type LinkEventInit = Partial<LinkEvent> & Pick<LinkEvent, "name">;

/** Options of {@linkcode encodeLinkMessage}. */
export interface EncodeLinkOptions {
  /** `nlmsg_seq`; defaults to 0 (multicast). */
  seq?: number;
  /** `nlmsg_pid`; defaults to 0 (kernel). */
  pid?: number;
  /** `nlmsg_flags`; defaults to 0 (or NLM_F_MULTI when `seq` is set). */
  messageFlags?: number;
  /** `ifi_change`; defaults to 0xffffffff like the kernel's notifications. */
  change?: number;
}

/**
 * Builds a full kernel-format RTM_NEWLINK / RTM_DELLINK message (header
 * included). Missing fields default to: newlink, ifindex 1, flags from
 * `admin`/`oper`, and no optional attribute.
 *
 * @example
 * ```ts
 * import { encodeLinkMessage } from "./link.ts";
 * const bytes = encodeLinkMessage({ name: "Ethernet0", ifindex: 3, mtu: 9100 });
 * ```
 */
export function encodeLinkMessage(
  event: LinkEventInit,
  options: EncodeLinkOptions = {},
): Uint8Array<ArrayBuffer> {
  const flags = event.flags ??
    ((event.admin === "up" ? IFF_UP : 0) |
      (event.oper === "up" ? IFF_RUNNING : 0));
  const header = new Uint8Array(IFINFOMSG_LENGTH);
  const view = new DataView(header.buffer);
  view.setUint16(2, 1, true); // ifi_type ARPHRD_ETHER
  view.setInt32(4, event.ifindex ?? 1, true);
  view.setUint32(8, flags >>> 0, true);
  view.setUint32(12, (options.change ?? 0xffffffff) >>> 0, true);
  const attributes = new AttributeEncoder().string(IFLA_IFNAME, event.name);
  if (event.mtu != null) attributes.u32(IFLA_MTU, event.mtu);
  if (event.master != null) attributes.u32(IFLA_MASTER, event.master);
  if (event.operstate != null) {
    const code = OPERSTATE_NAMES.indexOf(event.operstate);
    attributes.u8(IFLA_OPERSTATE, code < 0 ? 0 : code);
  }
  if (event.address != null) {
    attributes.bytes(IFLA_ADDRESS, parseAddress(event.address));
  }
  const kind = event.kind;
  if (kind != null) {
    attributes.nested(
      IFLA_LINKINFO,
      (info) => info.string(IFLA_INFO_KIND, kind),
    );
  }
  const body = attributes.encode();
  const payload = new Uint8Array(IFINFOMSG_LENGTH + body.length);
  payload.set(header);
  payload.set(body, IFINFOMSG_LENGTH);
  const seq = options.seq ?? 0;
  return encodeMessage({
    type: event.type === "dellink" ? RTM_DELLINK : RTM_NEWLINK,
    flags: options.messageFlags ?? (seq === 0 ? 0 : NLM_F_MULTI),
    seq,
    pid: options.pid ?? 0,
    payload,
  });
}

function parseAddress(address: string): Uint8Array {
  const parts = address === "" ? [] : address.split(":");
  return new Uint8Array(parts.map((part) => parseInt(part, 16) & 0xff));
}

/**
 * Builds the RTM_GETLINK request (NLM_F_REQUEST | NLM_F_DUMP) for all links.
 *
 * @example
 * ```ts
 * import { encodeGetLinkDump } from "./link.ts";
 * encodeGetLinkDump(42).length; // 32
 * ```
 */
export function encodeGetLinkDump(seq: number): Uint8Array<ArrayBuffer> {
  return encodeMessage({
    type: RTM_GETLINK,
    flags: NLM_F_REQUEST | NLM_F_DUMP,
    seq,
    payload: new Uint8Array(IFINFOMSG_LENGTH),
  });
}
