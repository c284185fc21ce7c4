/**
 * The link decoder's hot path: one RTM_NEWLINK / RTM_DELLINK payload read in
 * place from the received buffer (absolute offsets into one `DataView`, no
 * sub-views, no attribute walker object), with the same checks, error
 * reasons and offsets as {@linkcode AttributeDecoder}. Interface names,
 * link kinds and MAC addresses repeat from message to message, so their
 * strings come from small direct-mapped caches: decoding a known port
 * allocates only its event.
 * @module
 */

import {
  ATTRIBUTE_HEADER_LENGTH,
  NLA_F_NESTED,
  NLA_F_NET_BYTEORDER,
} from "./attributes.ts";
import { NetlinkDecodeError } from "./errors.ts";
import type { LinkEvent, LinkState } from "./types.ts";

// The constants of link.ts (which imports this module).
const IFINFOMSG_LENGTH = 16;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_MASTER = 10;
const IFLA_OPERSTATE = 16;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;
const IFF_UP = 0x1;
/** `IFF_RUNNING`: operationally up. */
export const IFF_RUNNING = 0x40;
const RTM_NEWLINK = 16;
/** RFC 2863 names of the IFLA_OPERSTATE values 0..6. */
export const OPERSTATE_NAMES: readonly string[] = [
  "unknown",
  "notpresent",
  "down",
  "lowerlayerdown",
  "testing",
  "dormant",
  "up",
];
const TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** Longest value decoded without TextDecoder (interface names are < 16). */
const ASCII_LIMIT = 64;
/** Slots of each cache (a power of two): one string per slot, replaced on a miss. */
const CACHE_SLOTS = 4096;

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const HEX: readonly string[] = Array.from(
  { length: 256 },
  (_, byte) => byte.toString(16).padStart(2, "0"),
);

// Direct-mapped caches (no hashing of a key string, nothing to grow or
// clear: a dump of 100,000 new names only replaces slots).
/** Short ASCII strings, in the slot of a hash of their bytes (checked on every hit). */
const STRINGS: (string | undefined)[] = new Array(CACHE_SLOTS).fill(undefined);
/** Six-byte addresses as text, in the slot of their 48-bit value. */
const ADDRESSES: (string | undefined)[] = new Array(CACHE_SLOTS).fill(
  undefined,
);
/** The 48-bit values of the addresses in `ADDRESSES`. */
const ADDRESS_KEYS = new Float64Array(CACHE_SLOTS).fill(-1);

/**
 * Decodes the link payload `bytes[start, end)` (`view` spans `bytes`) of a
 * message of `type` (RTM_NEWLINK or RTM_DELLINK, already checked); `base` is
 * the offset of `start` reported in errors. Throws
 * {@linkcode NetlinkDecodeError} exactly as `decodeLinkMessage` documents.
 */
export function decodeLinkAt(
  bytes: Uint8Array,
  view: DataView,
  span: { start: number; end: number; type: number; base: number },
): LinkEvent {
  const { start, end, type, base } = span;
  const length = end - start;
  if (length < IFINFOMSG_LENGTH) {
    throw new NetlinkDecodeError(
      `ifinfomsg needs ${IFINFOMSG_LENGTH} bytes, got ${length}`,
      base,
    );
  }
  const ifindex = view.getInt32(start + 4, true);
  if (ifindex <= 0) {
    throw new NetlinkDecodeError(
      `ifindex ${ifindex} is not positive`,
      base + 4,
    );
  }
  const flags = view.getUint32(start + 8, true);
  const event: LinkEvent = {
    type: type === RTM_NEWLINK ? "newlink" : "dellink",
    name: "",
    ifindex,
    flags,
    admin: stateOf(flags, IFF_UP),
    oper: stateOf(flags, IFF_RUNNING),
    mtu: null,
    master: null,
    kind: null,
    operstate: null,
    address: null,
  };
  // Attribute offsets relative to `first`, as AttributeDecoder counts them.
  const first = start + IFINFOMSG_LENGTH;
  const errorBase = base + IFINFOMSG_LENGTH;
  const size = end - first;
  let hasName = false;
  let offset = 0;
  while (offset < size) {
    const at = first + offset;
    const where = errorBase + offset;
    const valueLength = attributeLength(view, at, size - offset, where);
    const attributeType = view.getUint16(at + 2, true) & TYPE_MASK;
    const value = at + ATTRIBUTE_HEADER_LENGTH;
    const valueEnd = value + valueLength;
    offset = Math.min(offset + ((valueLength + 7) & ~3), size);
    switch (attributeType) {
      case IFLA_IFNAME:
        event.name = decodeString(bytes, value, valueEnd, where, IFLA_IFNAME);
        hasName = true;
        break;
      case IFLA_MTU:
        event.mtu = u32(view, value, valueLength, where, IFLA_MTU);
        break;
      case IFLA_MASTER:
        event.master = u32(view, value, valueLength, where, IFLA_MASTER);
        break;
      case IFLA_OPERSTATE:
        expectLength(valueLength, 1, where, IFLA_OPERSTATE);
        event.operstate = OPERSTATE_NAMES[bytes[value]] ?? "unknown";
        break;
      case IFLA_ADDRESS:
        event.address = formatAddress(bytes, value, valueEnd);
        break;
      case IFLA_LINKINFO:
        event.kind = decodeKind(bytes, view, {
          start: value,
          end: valueEnd,
          base: errorBase + (value - first),
        });
        break;
    }
  }
  if (!hasName) throw new NetlinkDecodeError("IFLA_IFNAME missing", base);
  if (event.name === "") {
    throw new NetlinkDecodeError("IFLA_IFNAME is empty", base);
  }
  return event;
}

function stateOf(flags: number, bit: number): LinkState {
  return (flags & bit) !== 0 ? "up" : "down";
}

/**
 * The value length of the attribute at `at` (`remaining` bytes left from
 * it; errors at `where`), or throws as AttributeDecoder.next() records.
 */
function attributeLength(
  view: DataView,
  at: number,
  remaining: number,
  where: number,
): number {
  if (remaining < ATTRIBUTE_HEADER_LENGTH) {
    throw new NetlinkDecodeError(
      `${remaining} trailing bytes, too short for an attribute header`,
      where,
    );
  }
  const length = view.getUint16(at, true);
  if (length < ATTRIBUTE_HEADER_LENGTH) {
    throw new NetlinkDecodeError(
      `attribute length ${length} < ${ATTRIBUTE_HEADER_LENGTH}`,
      where,
    );
  }
  if (length > remaining) {
    throw new NetlinkDecodeError(
      `attribute length ${length} runs past the end (${remaining} bytes left)`,
      where,
    );
  }
  return length - ATTRIBUTE_HEADER_LENGTH;
}

function expectLength(
  length: number,
  size: number,
  where: number,
  type: number,
): void {
  if (length === size) return;
  throw new NetlinkDecodeError(
    `attribute type ${type} has ${length} bytes, expected ${size}`,
    where,
  );
}

function u32(
  view: DataView,
  value: number,
  length: number,
  where: number,
  type: number,
): number {
  expectLength(length, 4, where, type);
  return view.getUint32(value, true);
}

/** IFLA_INFO_KIND inside IFLA_LINKINFO `[start, end)`, or null. */
function decodeKind(
  bytes: Uint8Array,
  view: DataView,
  span: { start: number; end: number; base: number },
): string | null {
  const { start, end, base } = span;
  const size = end - start;
  let kind: string | null = null;
  let offset = 0;
  while (offset < size) {
    const at = start + offset;
    const where = base + offset;
    const valueLength = attributeLength(view, at, size - offset, where);
    const attributeType = view.getUint16(at + 2, true) & TYPE_MASK;
    const value = at + ATTRIBUTE_HEADER_LENGTH;
    offset = Math.min(offset + ((valueLength + 7) & ~3), size);
    if (attributeType === IFLA_INFO_KIND) {
      kind = decodeString(
        bytes,
        value,
        value + valueLength,
        where,
        IFLA_INFO_KIND,
      );
    }
  }
  return kind;
}

/**
 * `bytes[start, end)` cut at the first NUL, as UTF-8 (the cached ASCII
 * string when short and plain ASCII). Invalid UTF-8 throws at `where`.
 */
function decodeString(
  bytes: Uint8Array,
  start: number,
  end: number,
  where: number,
  type: number,
): string {
  let stop = start;
  while (stop < end && bytes[stop] !== 0) stop++;
  const length = stop - start;
  if (length <= ASCII_LIMIT) {
    let hash = 0x811c9dc5 ^ length;
    let ascii = true;
    for (let i = start; i < stop; i++) {
      const byte = bytes[i];
      if (byte >= 0x80) {
        ascii = false;
        break;
      }
      hash = Math.imul(hash ^ byte, 0x01000193);
    }
    if (ascii) return cachedAscii(bytes, start, stop, hash);
  }
  try {
    return UTF8.decode(bytes.subarray(start, stop));
  } catch {
    throw new NetlinkDecodeError(
      `attribute type ${type} is not valid UTF-8`,
      where,
    );
  }
}

function cachedAscii(
  bytes: Uint8Array,
  start: number,
  stop: number,
  hash: number,
): string {
  const slot = hash & (CACHE_SLOTS - 1);
  const cached = STRINGS[slot];
  if (cached !== undefined && cached.length === stop - start) {
    let same = true;
    for (let i = start; i < stop; i++) {
      if (cached.charCodeAt(i - start) !== bytes[i]) {
        same = false;
        break;
      }
    }
    if (same) return cached;
  }
  let text = "";
  for (let i = start; i < stop; i++) text += String.fromCharCode(bytes[i]);
  STRINGS[slot] = text;
  return text;
}

/** `aa:bb:…` of `bytes[start, end)`, or null when empty. */
function formatAddress(
  bytes: Uint8Array,
  start: number,
  end: number,
): string | null {
  if (end === start) return null;
  if (end - start === 6) {
    // 48 bits: an exact key.
    const high = bytes[start] << 8 | bytes[start + 1];
    const low = (bytes[start + 2] << 24 | bytes[start + 3] << 16 |
      bytes[start + 4] << 8 | bytes[start + 5]) >>> 0;
    const key = high * 0x100000000 + low;
    const slot = (low ^ (low >>> 12) ^ high) & (CACHE_SLOTS - 1);
    if (ADDRESS_KEYS[slot] === key) return ADDRESSES[slot]!;
    const text = hexJoin(bytes, start, end);
    ADDRESS_KEYS[slot] = key;
    ADDRESSES[slot] = text;
    return text;
  }
  return hexJoin(bytes, start, end);
}

function hexJoin(bytes: Uint8Array, start: number, end: number): string {
  let text = HEX[bytes[start]];
  for (let i = start + 1; i < end; i++) text += ":" + HEX[bytes[i]];
  return text;
}
