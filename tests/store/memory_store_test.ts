/**
 * MemoryStore specifics (the shared contract is in store_contract.ts) and
 * the Redis glob matcher.
 * @module
 */

import assert from "node:assert/strict";
import { parseDbConfig } from "../../src/config/db_config.ts";
import { globMatch } from "../../src/store/glob.ts";
import { MemoryStore } from "../../src/store/memory_store.ts";
import { openStore } from "../../src/store/open_store.ts";
import { ProducerStateTable } from "../../src/store/producer_state_table.ts";
import { contractConfig } from "./store_contract.ts";

const config = contractConfig("/nonexistent.sock");

Deno.test("glob: Redis stringmatch rules", () => {
  const cases: [string, string, boolean][] = [
    ["*", "", true],
    ["*", "anything", true],
    ["a*", "a", true],
    ["a*c", "abbbc", true],
    ["a*c", "abbbd", false],
    ["a**c", "ac", true],
    ["?", "", false],
    ["?x", "ax", true],
    ["[abc]", "b", true],
    ["[abc]", "d", false],
    ["[^abc]", "d", true],
    ["[^abc]", "a", false],
    ["[a-c]x", "bx", true],
    ["[c-a]x", "bx", true],
    ["[a-c]x", "dx", false],
    ["[\\]]", "]", true],
    ["\\*", "*", true],
    ["\\*", "a", false],
    ["\\?", "?", true],
    ["a\\", "a\\", true],
    ["[ab", "a", true],
    ["PORT|Ethernet*", "PORT|Ethernet0", true],
    ["PORT|Ethernet*", "PORTCHANNEL|Ethernet0", false],
  ];
  for (const [pattern, text, expected] of cases) {
    assert.equal(globMatch(pattern, text), expected, `${pattern} ~ ${text}`);
  }
});

Deno.test("memory: dump shows hashes and sets, sorted", async () => {
  const store = new MemoryStore(config);
  const producer = new ProducerStateTable(store.db("APPL_DB"), "PORT_TABLE");
  await producer.apply([
    { key: "Ethernet4", fields: { mtu: "9100" } },
    { key: "Ethernet0", delete: true },
  ]);
  assert.deepEqual(store.dump("APPL_DB"), {
    PORT_TABLE_DEL_SET: ["Ethernet0"],
    PORT_TABLE_KEY_SET: ["Ethernet0", "Ethernet4"],
    "_PORT_TABLE:Ethernet4": { mtu: "9100" },
  });
  assert.deepEqual(store.dump("STATE_DB"), {});
  assert.deepEqual(store.dump("APPL_DB_ALIAS"), store.dump("APPL_DB"));
});

Deno.test("memory: views share data; closing one leaves the others", async () => {
  const first = new MemoryStore(config);
  const second = MemoryStore.fromConfig(config, { data: first.data });
  const separate = new MemoryStore(config);
  await first.db("STATE_DB").hset("PORT_TABLE|Ethernet0", { state: "ok" });
  assert.deepEqual(
    await second.db("STATE_DB").hgetall("PORT_TABLE|Ethernet0"),
    {
      state: "ok",
    },
  );
  assert.equal(
    await separate.db("STATE_DB").exists("PORT_TABLE|Ethernet0"),
    false,
  );
  await first.close();
  await second.db("STATE_DB").del("PORT_TABLE|Ethernet0");
  assert.deepEqual(second.dump("STATE_DB"), {});
});

Deno.test("memory: subscribers get messages after the publishing call", async () => {
  const store = new MemoryStore(config);
  const got: string[] = [];
  const stop = store.subscribe("APPL_DB", "CH", (message, channel) => {
    got.push(`${channel}:${message}`);
  });
  const sent = store.db("STATE_DB").publish("CH", "a");
  assert.deepEqual(got, []);
  await sent;
  assert.deepEqual(got, ["CH:a"]);
  stop();
  await store.db("APPL_DB").publish("CH", "b");
  assert.deepEqual(got, ["CH:a"]);
  assert.throws(() => store.subscribe("NOPE", "CH", () => {}), /NOPE/);
});

Deno.test("openStore: memory gives a MemoryStore, redis reports a failed connect", async () => {
  const store = await openStore("memory", config);
  assert.equal(store.kind, "memory");
  const missing = parseDbConfig({
    INSTANCES: {
      redis: {
        hostname: "127.0.0.1",
        port: 1,
        unix_socket_path: "/nonexistent/redis.sock",
      },
    },
    DATABASES: { APPL_DB: { id: 0, separator: ":", instance: "redis" } },
  }, { source: "test" });
  await assert.rejects(
    openStore("redis", missing),
    /^StoreError: redis APPL_DB at unix:\/nonexistent\/redis.sock: connect failed: ENOENT/,
  );
});
