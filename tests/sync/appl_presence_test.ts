/**
 * ApplPresence: answers from the cache only while the watch is live, and
 * never keeps an answer an event may have made stale.
 * @module
 */

import assert from "node:assert/strict";
import { parseDbConfig } from "../../src/config/db_config.ts";
import { BUILTIN_DB_CONFIG } from "../../src/config/settings.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { ApplPresence } from "../../src/sync/appl_presence.ts";

function rig() {
  const store = new MemoryStore(
    parseDbConfig(BUILTIN_DB_CONFIG, { source: "test" }),
  );
  const appl = store.db("APPL_DB");
  const presence = new ApplPresence(appl, "PORT_TABLE");
  return { appl, presence };
}

Deno.test("ApplPresence: not live, every lookup asks APPL_DB", async () => {
  const { appl, presence } = rig();
  await appl.hset("PORT_TABLE:Ethernet0", { mtu: "9100" });
  assert.deepEqual(
    await presence.lookup(["Ethernet0", "Ethernet4"]),
    new Set(["Ethernet0"]),
  );
  await presence.lookup(["Ethernet0", "Ethernet4"]);
  assert.equal(presence.asked, 4);
  assert.equal(presence.pattern, "PORT_TABLE:*");
});

Deno.test("ApplPresence: live, answers are cached until an event on the key", async () => {
  const { appl, presence } = rig();
  const changed: string[] = [];
  presence.onChange = (port) => changed.push(port);
  presence.handlers.onLive(true);
  await appl.hset("PORT_TABLE:Ethernet0", { mtu: "9100" });
  await presence.lookup(["Ethernet0", "Ethernet4"]);
  assert.deepEqual(
    await presence.lookup(["Ethernet0", "Ethernet4"]),
    new Set(["Ethernet0"]),
  );
  assert.equal(presence.asked, 2, "the second lookup came from the cache");

  await appl.hset("PORT_TABLE:Ethernet4", { mtu: "9100" });
  await appl.del("PORT_TABLE:Ethernet0");
  presence.handlers.onEvent("PORT_TABLE:Ethernet4", "hset");
  presence.handlers.onEvent("PORT_TABLE:Ethernet0", "del");
  presence.handlers.onEvent("PORT_TABLE_KEY_SET", "sadd"); // not a port key
  assert.deepEqual(changed, ["Ethernet4", "Ethernet0"]);
  assert.deepEqual(
    await presence.lookup(["Ethernet0", "Ethernet4"]),
    new Set(["Ethernet4"]),
  );
  assert.equal(presence.asked, 4, "both touched ports were asked again");
});

Deno.test("ApplPresence: an event during the EXISTS keeps its answer out of the cache", async () => {
  const { appl, presence } = rig();
  presence.handlers.onLive(true);
  const pending = presence.lookup(["Ethernet0"]);
  // The key appears and its event arrives before the (stale) reply.
  await appl.hset("PORT_TABLE:Ethernet8", { mtu: "9100" });
  presence.handlers.onEvent("PORT_TABLE:Ethernet8", "hset");
  await pending;
  await presence.lookup(["Ethernet0"]);
  assert.equal(
    presence.asked,
    2,
    "the answer given during the event was not kept",
  );
  await presence.lookup(["Ethernet0"]);
  assert.equal(presence.asked, 2, "the later answer was kept");
});

Deno.test("ApplPresence: losing the watch forgets everything; fresh always asks", async () => {
  const { appl, presence } = rig();
  await appl.hset("PORT_TABLE:Ethernet0", { mtu: "9100" });
  presence.handlers.onLive(true);
  await presence.lookup(["Ethernet0"]);
  presence.handlers.onLive(false);
  assert.equal(presence.live, false);
  await appl.del("PORT_TABLE:Ethernet0"); // missed while the watch was down
  assert.deepEqual(await presence.lookup(["Ethernet0"]), new Set());
  presence.handlers.onLive(true);
  await presence.lookup(["Ethernet0"]);
  await presence.lookup(["Ethernet0"], { fresh: true });
  assert.equal(presence.asked, 4);
});
