/**
 * Captures real rtnetlink link messages from this kernel and writes them as
 * decoder fixtures to `tests/fixtures/netlink/link_messages.json`.
 *
 * Everything happens in a private network namespace (veth pairs named like
 * SONiC ports, one bridge) that is deleted at the end; the host's interfaces
 * are never touched. Dump replies are cross-checked against `ip -j -d link`.
 *
 * Run as root: `deno run -A tools/capture_netlink.ts [output.json]`
 * @module
 */

import { addVeth, createNetns, type Netns } from "../tests/helpers/netns.ts";
import {
  decodeLinkMessage,
  type LinkEvent,
  LinkSocket,
  NLMSG_DONE,
  parseMessages,
  RTM_DELLINK,
  RTM_NEWLINK,
} from "../src/netlink/mod.ts";

const DEFAULT_OUTPUT = new URL(
  "../tests/fixtures/netlink/link_messages.json",
  import.meta.url,
);

/** One captured message as stored in the fixture file. */
export interface CapturedMessage {
  /**
   * What produced it, e.g. `dump` or `ip link set Ethernet0 up`: the last
   * action run before it arrived (late notifications of one step can carry
   * the next step's label).
   */
  label: string;
  /** The whole message (nlmsghdr included) as lowercase hex. */
  hex: string;
  /** The decoded event the decoder must produce. */
  expected: LinkEvent;
}

/** One captured datagram (possibly several messages), for framing tests. */
export interface CapturedDatagram {
  /** What produced it. */
  label: string;
  /** The datagram as lowercase hex. */
  hex: string;
  /** How many netlink messages it holds. */
  messageCount: number;
}

/** The fixture file's shape. */
export interface CaptureFile {
  /** `uname -r` of the capturing machine. */
  kernel: string;
  /** ISO time of the capture. */
  capturedAt: string;
  /** Individual link messages. */
  messages: CapturedMessage[];
  /** Whole datagrams. */
  datagrams: CapturedDatagram[];
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function collect(
  socket: LinkSocket,
  label: string,
  file: CaptureFile,
  until: (types: number[]) => boolean,
): Promise<void> {
  const deadline = Date.now() + 5000;
  const seen: number[] = [];
  while (!until(seen)) {
    if (Date.now() > deadline) throw new Error(`timeout capturing ${label}`);
    const signal = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
    for (const datagram of await socket.receiveDatagrams({ signal })) {
      if (datagram.kind !== "data") throw new Error("overflow in capture");
      const messages = parseMessages(datagram.bytes);
      file.datagrams.push({
        label,
        hex: toHex(datagram.bytes),
        messageCount: messages.length,
      });
      for (const message of messages) {
        seen.push(message.type);
        if (message.type !== RTM_NEWLINK && message.type !== RTM_DELLINK) {
          continue;
        }
        const bytes = datagram.bytes.subarray(
          message.offset,
          message.offset + 16 + message.payload.length,
        );
        file.messages.push({
          label,
          hex: toHex(bytes),
          expected: decodeLinkMessage(message.payload, message.type),
        });
      }
    }
  }
}

interface IpLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  address?: string;
  operstate: string;
  flags: string[];
  master?: string;
  linkinfo?: { info_kind?: string };
}

async function crossCheck(ns: Netns, file: CaptureFile): Promise<void> {
  const links = JSON.parse(await ns.ip("-j", "-d", "link", "show")) as IpLink[];
  const byIndex = new Map(links.map((link) => [link.ifindex, link]));
  for (const message of file.messages.filter((m) => m.label === "dump")) {
    const event = message.expected;
    const link = byIndex.get(event.ifindex);
    const problems: string[] = [];
    if (link === undefined) throw new Error(`ip does not know ${event.name}`);
    if (link.ifname !== event.name) problems.push("name");
    if (link.mtu !== event.mtu) problems.push("mtu");
    if ((link.address ?? null) !== event.address) problems.push("address");
    if (link.operstate.toLowerCase() !== event.operstate) {
      problems.push("operstate");
    }
    if (link.flags.includes("UP") !== (event.admin === "up")) {
      problems.push("admin");
    }
    if ((link.linkinfo?.info_kind ?? null) !== event.kind) {
      problems.push("kind");
    }
    const master = link.master === undefined
      ? null
      : links.find((l) => l.ifname === link.master)?.ifindex;
    if (master !== event.master) problems.push("master");
    if (problems.length > 0) {
      throw new Error(
        `${event.name}: decoder disagrees with ip on ${problems}`,
      );
    }
  }
}

async function capture(ns: Netns): Promise<CaptureFile> {
  const file: CaptureFile = {
    kernel: Deno.osRelease(),
    capturedAt: new Date().toISOString(),
    messages: [],
    datagrams: [],
  };
  await addVeth(ns, { name: "Ethernet0", peer: "Ethernet4" });
  await addVeth(ns, { name: "Ethernet8", peer: "Ethernet12" });
  await ns.ip("link", "add", "Bridge", "type", "bridge");
  await ns.ip("link", "set", "Ethernet8", "master", "Bridge");
  const socket = LinkSocket.open({ netns: ns.name });
  try {
    socket.requestDump();
    await collect(socket, "dump", file, (types) => types.includes(NLMSG_DONE));
    await crossCheck(ns, file);
    const steps: string[][] = [
      ["link", "set", "Ethernet0", "up"],
      ["link", "set", "Ethernet4", "up"],
      ["link", "set", "Ethernet0", "mtu", "9000"],
      ["link", "set", "Ethernet0", "address", "02:00:00:00:00:01"],
      ["link", "set", "Ethernet0", "down"],
      ["link", "del", "Ethernet8"],
      ["link", "del", "Ethernet0"],
    ];
    for (const step of steps) {
      await ns.ip(...step);
      const label = `ip ${step.join(" ")}`;
      await collect(socket, label, file, (types) => types.length > 0);
    }
  } finally {
    socket.close();
  }
  return file;
}

if (import.meta.main) {
  const output = Deno.args[0] ?? DEFAULT_OUTPUT;
  const ns = await createNetns({ prefix: "psd-cap" });
  try {
    const file = await capture(ns);
    await Deno.writeTextFile(output, JSON.stringify(file, null, 2) + "\n");
    console.log(
      `wrote ${file.messages.length} messages, ${file.datagrams.length} datagrams to ${output}`,
    );
  } finally {
    await ns.destroy();
  }
}
