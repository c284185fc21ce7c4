/**
 * The load harness's correctness check on real links and a real Redis:
 * STATE_DB written as the kernel says compares equal; a wrong field, a
 * missing hash and a link changed behind STATE_DB's back do not, and each
 * is named.
 * @module
 */

import assert from "node:assert/strict";
import { createNetns, netnsSkipReason } from "../helpers/netns.ts";
import { REDIS_AVAILABLE, startRedis } from "../helpers/redis_server.ts";
import { RedisStore } from "../../src/store/redis_store.ts";
import { compareState, kernelPorts } from "../../tools/load/state.ts";

Deno.test({
  name:
    "load state check: equal when STATE_DB matches the kernel; each difference named",
  ignore: netnsSkipReason() !== null || !REDIS_AVAILABLE,
  fn: async () => {
    const server = await startRedis();
    const ns = await createNetns({ prefix: "psd-lstate" });
    let store: RedisStore | null = null;
    try {
      await ns.ipBatch([
        "link add Ethernet0 type veth peer name Ethernet4",
        "link add eth9 type veth peer name eth10",
        "link set Ethernet0 up",
        "link set Ethernet4 up mtu 9100",
      ]);
      store = await RedisStore.connect(server.dbConfig, {
        databases: ["STATE_DB"],
      });
      const state = store.db("STATE_DB");
      const kernel = await kernelPorts(ns);
      assert.deepEqual([...kernel.keys()].sort(), ["Ethernet0", "Ethernet4"]);
      assert.deepEqual(kernel.get("Ethernet4"), {
        state: "ok",
        admin_status: "up",
        netdev_oper_status: "up",
        mtu: "9100",
      });
      for (const [port, fields] of kernel) {
        await state.hset(`PORT_TABLE|${port}`, fields);
      }
      assert.deepEqual(await compareState(ns, state), {
        equal: true,
        ports: 2,
        mismatched: 0,
        mismatches: [],
      });

      await state.hset("PORT_TABLE|Ethernet4", { mtu: "1500" });
      let result = await compareState(ns, state);
      assert.equal(result.equal, false);
      assert.deepEqual(result.mismatches, [
        "Ethernet4.mtu: kernel 9100, STATE_DB 1500",
      ]);

      await state.hset("PORT_TABLE|Ethernet4", { mtu: "9100" });
      await ns.ip("link", "set", "Ethernet0", "down");
      result = await compareState(ns, state);
      assert.equal(
        result.mismatched,
        2,
        "Ethernet0 down, and its peer's carrier gone",
      );
      assert.ok(
        result.mismatches.includes(
          "Ethernet0.admin_status: kernel down, STATE_DB up",
        ),
        result.mismatches.join("; "),
      );

      await state.del("PORT_TABLE|Ethernet0");
      result = await compareState(ns, state);
      assert.ok(
        result.mismatches.includes(
          "Ethernet0.state: kernel ok, STATE_DB (none)",
        ),
        result.mismatches.join("; "),
      );
    } finally {
      await store?.close();
      await ns.destroy();
      await server.stop();
    }
  },
});
