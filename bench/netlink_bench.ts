/**
 * Netlink benchmarks: pure decode throughput on captured kernel messages, the
 * framing + decode cost of a 64-message datagram, the real kernel receive
 * path (a link dump in a private netns), and the two ways of waiting for a
 * readable socket without blocking the event loop.
 *
 * Run as root: `deno bench -A bench/netlink_bench.ts`. The netns parts are
 * skipped when namespaces are unavailable.
 * @module
 */

import {
  concatMessages,
  decodeLinkMessage,
  decodeNotices,
  encodeMessage,
  LinkSocket,
  NLM_F_REQUEST,
  parseMessages,
  RTM_GETLINK,
} from "../src/netlink/mod.ts";
import {
  AF_NETLINK,
  libc,
  MSG_DONTWAIT,
  poll,
  recv,
  sendto,
  SOCK_CLOEXEC,
  SOCK_RAW,
  socket,
} from "../ffi/mod.ts";
import { DATAGRAM_FIXTURES, LINK_FIXTURES } from "../tests/netlink/fixtures.ts";
import { createNetns, netnsSkipReason } from "../tests/helpers/netns.ts";

const FIXTURE_PAYLOADS = LINK_FIXTURES.map((fixture) => {
  const [message] = parseMessages(fixture.bytes);
  return { payload: message.payload, type: message.type };
});

const BATCH_64 = concatMessages(
  Array.from(
    { length: 64 },
    (_, i) => LINK_FIXTURES[i % LINK_FIXTURES.length].bytes,
  ),
);

Deno.bench({
  name: `decodeLinkMessage x${FIXTURE_PAYLOADS.length} fixture messages`,
  group: "decode",
  baseline: true,
  fn() {
    for (const { payload, type } of FIXTURE_PAYLOADS) {
      decodeLinkMessage(payload, type);
    }
  },
});

Deno.bench({
  name: "parseMessages (framing only), 64-message datagram",
  group: "decode",
  fn() {
    parseMessages(BATCH_64);
  },
});

Deno.bench({
  name: "decodeNotices (framing + decode), 64-message datagram",
  group: "decode",
  fn() {
    decodeNotices(BATCH_64);
  },
});

Deno.bench({
  name: `decodeNotices, ${DATAGRAM_FIXTURES.length} captured datagrams`,
  group: "decode",
  fn() {
    for (const datagram of DATAGRAM_FIXTURES) decodeNotices(datagram.bytes);
  },
});

// ---- Kernel receive path: dump 64 veth links in a private namespace. ----

const skip = netnsSkipReason();
const ns = skip === null ? await createNetns({ prefix: "psd-bench" }) : null;
let dumpSocket: LinkSocket | null = null;
if (ns !== null) {
  await ns.ipBatch(
    Array.from(
      { length: 32 },
      (_, i) =>
        `link add Ethernet${i * 8} type veth peer name Ethernet${i * 8 + 4}`,
    ),
  );
  dumpSocket = LinkSocket.open({ netns: ns.name });
  globalThis.addEventListener("unload", () => {
    dumpSocket?.close();
    new Deno.Command("ip", { args: ["netns", "del", ns.name] }).outputSync();
  });
}

Deno.bench({
  name: "LinkSocket dump of 65 links (requestDump + receive until done)",
  group: "receive",
  ignore: dumpSocket === null,
  async fn() {
    const socket = dumpSocket!;
    const seq = socket.requestDump();
    let done = false;
    while (!done) {
      for (const notice of await socket.receive()) {
        if (notice.kind === "dump_done" && notice.seq === seq) done = true;
      }
    }
  },
});

// ---- Waiting for readability: worker-thread recv vs worker-thread poll. ----
// Each iteration starts the wait first, then sends a one-link RTM_GETLINK
// (lo, ifindex 1) whose reply wakes the waiter. Read-only: touches nothing.

const GET_LO = (() => {
  const payload = new Uint8Array(16);
  new DataView(payload.buffer).setInt32(4, 1, true);
  return encodeMessage({
    type: RTM_GETLINK,
    flags: NLM_F_REQUEST,
    seq: 1,
    payload,
  });
})();
const KERNEL = (() => {
  const address = new Uint8Array(12);
  new DataView(address.buffer).setUint16(0, AF_NETLINK, true);
  return address;
})();
const waitBuffer = new Uint8Array(65536);
const blockingFd = socket({
  domain: AF_NETLINK,
  type: SOCK_RAW | SOCK_CLOEXEC,
});
const nonblockingFd = socket({
  domain: AF_NETLINK,
  type: SOCK_RAW | SOCK_CLOEXEC,
});

Deno.bench({
  name: "wait: nonblocking (worker-thread) recv on a blocking socket",
  group: "wait",
  baseline: true,
  async fn() {
    const pending = libc().recv_nonblocking(
      blockingFd,
      waitBuffer,
      BigInt(waitBuffer.length),
      0,
    );
    sendto(blockingFd, GET_LO, { address: KERNEL });
    await pending;
  },
});

Deno.bench({
  name: "wait: nonblocking (worker-thread) poll, then MSG_DONTWAIT recv",
  group: "wait",
  async fn() {
    const pending = poll(nonblockingFd, { timeoutMs: 100 });
    sendto(nonblockingFd, GET_LO, { address: KERNEL });
    await pending;
    recv(nonblockingFd, waitBuffer, { flags: MSG_DONTWAIT });
  },
});

Deno.bench({
  name: "wait: data already queued, MSG_DONTWAIT recv (no thread hop)",
  group: "wait",
  fn() {
    sendto(nonblockingFd, GET_LO, { address: KERNEL });
    recv(nonblockingFd, waitBuffer, { flags: MSG_DONTWAIT });
  },
});
