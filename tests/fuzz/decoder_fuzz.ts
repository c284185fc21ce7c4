/**
 * Worker module: the netlink decoder fuzz cases (random bytes and mutated
 * kernel-captured messages and datagrams). Only `NetlinkDecodeError` may
 * escape a decoder; anything else fails the case. Run by
 * `tests/netlink/fuzz_test.ts`.
 * @module
 */

import {
  decodeLinkMessage,
  decodeNotices,
  NetlinkDecodeError,
  parseMessages,
  RTM_DELLINK,
  RTM_NEWLINK,
} from "../../src/netlink/mod.ts";
import { DATAGRAM_FIXTURES, LINK_FIXTURES } from "../netlink/fixtures.ts";
import { type Random, serveFuzz } from "./harness.ts";

const SOURCES: readonly Uint8Array[] = [
  ...LINK_FIXTURES.map((fixture) => fixture.bytes),
  ...DATAGRAM_FIXTURES.map((fixture) => fixture.bytes),
  ...LINK_FIXTURES.map((fixture) => fixture.bytes.subarray(16)),
];

const INTERESTING_U16 = [0, 1, 2, 3, 4, 5, 8, 15, 16, 17, 0xffff, 0x8000];

function randomBytes(random: Random, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = random() & 0xff;
  return bytes;
}

/** Applies 1-4 random mutations to a copy of `source`. */
function mutate(random: Random, source: Uint8Array): Uint8Array {
  let bytes = source.slice();
  const count = 1 + (random() % 4);
  for (let i = 0; i < count && bytes.length > 0; i++) {
    const at = random() % bytes.length;
    switch (random() % 6) {
      case 0:
        bytes[at] = random() & 0xff;
        break;
      case 1:
        bytes[at] ^= 1 << (random() % 8);
        break;
      case 2: {
        const value = INTERESTING_U16[random() % INTERESTING_U16.length];
        bytes[at] = value & 0xff;
        if (at + 1 < bytes.length) bytes[at + 1] = value >> 8;
        break;
      }
      case 3:
        bytes = bytes.slice(0, at);
        break;
      case 4: {
        const longer = new Uint8Array(bytes.length + 1 + (random() % 16));
        longer.set(bytes);
        longer.set(
          randomBytes(random, longer.length - bytes.length),
          bytes.length,
        );
        bytes = longer;
        break;
      }
      case 5:
        bytes = bytes.subarray(at).slice();
        break;
    }
  }
  return bytes;
}

function allowDecodeError(action: () => void): boolean {
  try {
    action();
    return true;
  } catch (error) {
    if (!(error instanceof NetlinkDecodeError)) throw error;
    return false;
  }
}

/** Decodes `bytes` every way the daemon can; only NetlinkDecodeError may escape. */
function decodeAll(bytes: Uint8Array): string {
  decodeNotices(bytes, { portId: 1 });
  const link = allowDecodeError(() => decodeLinkMessage(bytes, RTM_NEWLINK));
  const framed = allowDecodeError(() => {
    for (const message of parseMessages(bytes)) {
      if (message.type === RTM_NEWLINK || message.type === RTM_DELLINK) {
        decodeLinkMessage(message.payload, message.type);
      }
    }
  });
  return link || framed ? "decoded" : "refused";
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

serveFuzz((random, index) => {
  const bytes = index % 5 === 0
    ? randomBytes(random, random() % 300)
    : mutate(random, SOURCES[random() % SOURCES.length]);
  try {
    return decodeAll(bytes);
  } catch (error) {
    throw new Error(`${String(error)} on input ${hex(bytes)}`, {
      cause: error,
    });
  }
});
