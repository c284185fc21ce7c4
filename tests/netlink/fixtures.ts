/**
 * Loads the captured kernel messages in `tests/fixtures/netlink/`.
 * @module
 */

import type { LinkEvent } from "../../src/netlink/mod.ts";

/** A captured link message: whole message bytes and the expected event. */
export interface LinkFixture {
  /** The action that produced it (`dump`, `ip link set ...`). */
  label: string;
  /** The whole message, nlmsghdr included. */
  bytes: Uint8Array<ArrayBuffer>;
  /** What `decodeLinkMessage` must return. */
  expected: LinkEvent;
}

/** A captured datagram and how many messages it holds. */
export interface DatagramFixture {
  /** The action that produced it. */
  label: string;
  /** The datagram bytes. */
  bytes: Uint8Array<ArrayBuffer>;
  /** Number of netlink messages in it. */
  messageCount: number;
}

interface CaptureFile {
  messages: { label: string; hex: string; expected: LinkEvent }[];
  datagrams: { label: string; hex: string; messageCount: number }[];
}

/** Decodes lowercase hex into bytes. */
export function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}

const FILE = new URL(
  "../fixtures/netlink/link_messages.json",
  import.meta.url,
);

const capture: CaptureFile = JSON.parse(Deno.readTextFileSync(FILE));

/** Every captured link message. */
export const LINK_FIXTURES: readonly LinkFixture[] = capture.messages.map((
  message,
) => ({
  label: message.label,
  bytes: fromHex(message.hex),
  expected: message.expected,
}));

/** Every captured datagram. */
export const DATAGRAM_FIXTURES: readonly DatagramFixture[] = capture.datagrams
  .map((datagram) => ({
    label: datagram.label,
    bytes: fromHex(datagram.hex),
    messageCount: datagram.messageCount,
  }));

/** The fields of a `--monitor` JSON line, in order (the contract). */
export const MONITOR_FIELDS: readonly string[] = [
  "type",
  "name",
  "ifindex",
  "flags",
  "admin",
  "oper",
  "mtu",
  "master",
  "kind",
  "operstate",
  "address",
];
