/**
 * The load harness's netlink change requests on real links in a private
 * namespace: RTM_SETLINK sets the MTU and the admin state, the kernel's
 * RTM_NEWLINK reaches a link socket in the same namespace, and a refused
 * change is one line naming the link and the errno.
 * @module
 */

import assert from "node:assert/strict";
import { addVeth, createNetns, netnsSkipReason } from "../helpers/netns.ts";
import { LinkSocket } from "../../src/netlink/socket.ts";
import {
  encodeSetLink,
  LinkRequestError,
  LinkRequestSocket,
  RTM_SETLINK,
} from "../../tools/load/link_request.ts";
import { kernelPorts } from "../../tools/load/state.ts";

Deno.test("link request: RTM_SETLINK with NLM_F_REQUEST|NLM_F_ACK, IFLA_IFNAME and IFLA_MTU", () => {
  const bytes = encodeSetLink({ name: "Ethernet0", mtu: 9100 }, 7);
  const view = new DataView(bytes.buffer);
  assert.equal(view.getUint32(0, true), bytes.length, "nlmsg_len");
  assert.equal(view.getUint16(4, true), RTM_SETLINK);
  assert.equal(view.getUint16(6, true), 0x1 | 0x4);
  assert.equal(view.getUint32(8, true), 7);
  assert.equal(view.getInt32(16 + 4, true), 0, "ifindex 0: by name");
  assert.equal(
    view.getUint32(16 + 12, true),
    0,
    "ifi_change 0: no flag changed",
  );
  // IFLA_IFNAME (3): "Ethernet0\0" in 4 + 10 bytes, padded to 16.
  assert.equal(view.getUint16(32, true), 14);
  assert.equal(view.getUint16(34, true), 3);
  assert.equal(new TextDecoder().decode(bytes.subarray(36, 45)), "Ethernet0");
  // IFLA_MTU (4): u32.
  assert.equal(view.getUint16(48, true), 8);
  assert.equal(view.getUint16(50, true), 4);
  assert.equal(view.getUint32(52, true), 9100);
  const up = new DataView(
    encodeSetLink({ name: "Ethernet0", admin: "up" }, 1).buffer,
  );
  assert.equal(up.getUint32(16 + 8, true), 1, "ifi_flags IFF_UP");
  assert.equal(up.getUint32(16 + 12, true), 1, "ifi_change IFF_UP");
  const down = new DataView(
    encodeSetLink({ name: "Ethernet0", admin: "down" }, 1).buffer,
  );
  assert.equal(down.getUint32(16 + 8, true), 0);
  assert.equal(down.getUint32(16 + 12, true), 1);
});

Deno.test({
  name:
    "link request: MTU and admin changes reach the kernel and its RTM_NEWLINK; a refused change names the link and the errno",
  ignore: netnsSkipReason() !== null,
  fn: async () => {
    const ns = await createNetns({ prefix: "psd-lreq" });
    let requests: LinkRequestSocket | null = null;
    let socket: LinkSocket | null = null;
    try {
      await addVeth(ns, { name: "Ethernet0", peer: "Ethernet4" });
      socket = LinkSocket.open({ netns: ns.name });
      requests = LinkRequestSocket.open({ netns: ns.name });
      const seen = socket.receive();
      requests.change({ name: "Ethernet0", mtu: 4321 });
      const notices = await seen;
      assert.ok(
        notices.some((n) =>
          n.kind === "link" && n.event.name === "Ethernet0" &&
          n.event.mtu === 4321
        ),
        JSON.stringify(notices),
      );
      requests.change({ name: "Ethernet0", admin: "up" });
      requests.change({ name: "Ethernet4", admin: "up" });
      let kernel = await kernelPorts(ns);
      assert.deepEqual(kernel.get("Ethernet0"), {
        state: "ok",
        admin_status: "up",
        netdev_oper_status: "up",
        mtu: "4321",
      });
      requests.change({ name: "Ethernet0", admin: "down" });
      kernel = await kernelPorts(ns);
      assert.equal(kernel.get("Ethernet0")?.admin_status, "down");
      assert.equal(kernel.get("Ethernet0")?.mtu, "4321", "MTU kept");
      assert.throws(
        () => requests!.change({ name: "Ethernet96", mtu: 1600 }),
        (error: Error) =>
          error instanceof LinkRequestError && error.code === "ENODEV" &&
          error.message ===
            "RTM_SETLINK Ethernet96 mtu 1600: the kernel refused it with ENODEV",
      );
      assert.throws(
        () => requests!.change({ name: "Ethernet0", mtu: 10 }),
        (error: Error) =>
          error instanceof LinkRequestError && error.code === "EINVAL",
      );
      // The socket still works after refusals (their ACKs were consumed).
      requests.change({ name: "Ethernet0", mtu: 1500 });
      assert.equal((await kernelPorts(ns)).get("Ethernet0")?.mtu, "1500");
    } finally {
      requests?.close();
      socket?.close();
      await ns.destroy();
    }
  },
});
