/**
 * After an overflow the kernel keeps the socket "congested" until its queue
 * is empty and drops every multicast message meanwhile without another
 * ENOBUFS. A change made in that window would be lost for good if a dump
 * had been requested before it, so the socket reports those silent drops
 * (the SO_MEMINFO drop counter) as an overflow of their own.
 * @module
 */

import assert from "node:assert/strict";
import { LinkSocket, type NetlinkNotice } from "../../src/netlink/mod.ts";
import { netnsSkipReason, withVeth } from "../helpers/netns.ts";

const SKIP = netnsSkipReason();

function has(notices: NetlinkNotice[], mtu: number): boolean {
  return notices.some((n) => n.kind === "link" && n.event.mtu === mtu);
}

Deno.test({
  name:
    "socket: a change dropped while the queue is still congested is reported as an overflow",
  ignore: SKIP !== null,
  fn: () =>
    withVeth(async (ns) => {
      const socket = LinkSocket.open({ netns: ns.name });
      try {
        const storm: string[] = [];
        for (let i = 0; i < 25_000; i++) {
          storm.push(`link set Ethernet0 mtu ${1500 + (i % 8) * 1000}`);
        }
        await ns.ipBatch(storm);
        const first = await socket.receive();
        assert.equal(first[0].kind, "overflow", "the storm overflowed");
        // The first receive stops at its datagram cap: the queue is not
        // empty, so the socket is still congested and this change is
        // dropped without a new ENOBUFS.
        await ns.ip("link", "set", "Ethernet0", "mtu", "2345");
        const rest: NetlinkNotice[] = [];
        const controller = new AbortController();
        const deadline = setTimeout(() => controller.abort(), 10_000);
        while (!rest.some((n) => n.kind === "overflow")) {
          const batch = await socket.receive({ signal: controller.signal });
          if (batch.length === 0) break;
          rest.push(...batch);
          if (has(rest, 2345)) break;
        }
        clearTimeout(deadline);
        assert.ok(
          has(rest, 2345) || rest.some((n) => n.kind === "overflow"),
          "the change was neither received nor reported as lost",
        );
        assert.equal(socket.overflows, 2, "the silent drops were reported");
      } finally {
        socket.close();
      }
    }),
});
