/**
 * ProducerStateTable against an independent consumer, on both backends.
 * @module
 */

import assert from "node:assert/strict";
import {
  PRODUCER_APPLY_SCRIPT,
  type ProducerChange,
  ProducerStateTable,
} from "../../src/store/producer_state_table.ts";
import { type Fields, StoreError } from "../../src/store/types.ts";
import { type ConsumerOp, TestConsumer } from "../helpers/consumer.ts";
import {
  type Check,
  defineChecks,
  type Fixture,
  memoryBackend,
  redisBackend,
} from "./store_contract.ts";

const CHANNEL = "PORT_TABLE_CHANNEL@0";

function tables(fixture: Fixture): {
  producer: ProducerStateTable;
  consumer: TestConsumer;
} {
  const db = fixture.store.db("APPL_DB");
  return {
    producer: new ProducerStateTable(db, "PORT_TABLE"),
    consumer: new TestConsumer(db, "PORT_TABLE"),
  };
}

/** Groups consumer ops by key (SPOP order across keys is random). */
function byKey(ops: ConsumerOp[]): Record<string, ConsumerOp[]> {
  const result: Record<string, ConsumerOp[]> = {};
  for (const op of ops) (result[op.key] ??= []).push(op);
  return result;
}

const checks: Record<string, Check> = {
  async "writes the key set, del set, pending hashes and channel"(fixture) {
    const { producer } = tables(fixture);
    const db = fixture.store.db("APPL_DB");
    assert.equal(producer.channelName, CHANNEL);
    await producer.set("Ethernet0", { mtu: "9100", admin_status: "up" });
    await producer.del("Ethernet4");
    assert.deepEqual(await db.hgetall("_PORT_TABLE:Ethernet0"), {
      mtu: "9100",
      admin_status: "up",
    });
    assert.equal(await db.exists("PORT_TABLE:Ethernet0"), false);
    assert.equal(await db.exists("PORT_TABLE_KEY_SET"), true);
    assert.equal(await db.exists("PORT_TABLE_DEL_SET"), true);
  },

  async "sets and dels arrive at the consumer"(fixture) {
    const { producer, consumer } = tables(fixture);
    await producer.set("Ethernet0", { mtu: "9100" });
    await producer.set("Ethernet0", { speed: "100000" });
    await producer.set("Ethernet4", { mtu: "1500" });
    const first = byKey(await consumer.popAll());
    assert.deepEqual(first, {
      Ethernet0: [{
        op: "set",
        key: "Ethernet0",
        fields: { mtu: "9100", speed: "100000" },
      }],
      Ethernet4: [{ op: "set", key: "Ethernet4", fields: { mtu: "1500" } }],
    });
    await producer.del("Ethernet4");
    assert.deepEqual(await consumer.popAll(), [{
      op: "del",
      key: "Ethernet4",
    }]);
    assert.deepEqual(await consumer.entry("Ethernet4"), {});
    assert.deepEqual(await consumer.entry("Ethernet0"), {
      mtu: "9100",
      speed: "100000",
    });
    assert.deepEqual(await consumer.popAll(), []);
  },

  async "del then set in one batch leaves a del and the new fields"(fixture) {
    const { producer, consumer } = tables(fixture);
    await producer.set("Ethernet0", { mtu: "9100", fec: "rs" });
    await consumer.popAll();
    await producer.apply([
      { key: "Ethernet0", fields: { stale: "1" } },
      { key: "Ethernet0", delete: true },
      { key: "Ethernet0", fields: { mtu: "1500" } },
    ]);
    assert.deepEqual(await consumer.popAll(), [
      { op: "del", key: "Ethernet0" },
      { op: "set", key: "Ethernet0", fields: { mtu: "1500" } },
    ]);
    assert.deepEqual(await consumer.entry("Ethernet0"), { mtu: "1500" });
  },

  async "set then del in one batch leaves only a del"(fixture) {
    const { producer, consumer } = tables(fixture);
    await producer.set("Ethernet0", { mtu: "9100" });
    await consumer.popAll();
    await producer.apply([
      { key: "Ethernet0", fields: { mtu: "1500" } },
      { key: "Ethernet0", delete: true },
    ]);
    assert.deepEqual(await consumer.popAll(), [{
      op: "del",
      key: "Ethernet0",
    }]);
    assert.deepEqual(await consumer.entry("Ethernet0"), {});
  },

  async "one apply of many keys publishes once"(fixture) {
    const { producer, consumer } = tables(fixture);
    const db = fixture.store.db("APPL_DB");
    const counter = await fixture.counter(CHANNEL);
    const changes: ProducerChange[] = Array.from({ length: 200 }, (_, i) => ({
      key: `Ethernet${i * 4}`,
      fields: { index: String(i) },
    }));
    assert.equal(await producer.apply(changes), 200);
    await counter.sync(db);
    assert.deepEqual(counter.messages, ["G"]);
    // Keys still pending: no new wake-up needed.
    assert.equal(await producer.apply(changes.slice(0, 10)), 0);
    await counter.sync(db);
    assert.deepEqual(counter.messages, ["G"]);
    assert.equal((await consumer.popAll()).length, 200);
    await producer.apply([{ key: "Ethernet0", delete: true }]);
    await counter.sync(db);
    assert.deepEqual(counter.messages, ["G", "G"]);
  },

  async "random sequences converge to the producer's view"(fixture) {
    const { producer, consumer } = tables(fixture);
    const model = new Map<string, Fields>();
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let round = 0; round < 40; round++) {
      const changes: ProducerChange[] = [];
      for (let i = 0; i < 15; i++) {
        const key = `Ethernet${random(12)}`;
        if (random(4) === 0) {
          changes.push({ key, delete: true });
          model.delete(key);
        } else {
          const fields = { [`f${random(5)}`]: String(round * 100 + i) };
          changes.push({ key, fields });
          model.set(key, { ...model.get(key), ...fields });
        }
      }
      await producer.apply(changes);
      if (random(3) === 0) await consumer.pop(4);
      if (random(4) === 0) {
        await consumer.popAll();
        for (let k = 0; k < 12; k++) {
          const key = `Ethernet${k}`;
          assert.deepEqual(await consumer.entry(key), model.get(key) ?? {});
        }
      }
    }
    await consumer.popAll();
    for (let k = 0; k < 12; k++) {
      const key = `Ethernet${k}`;
      assert.deepEqual(await consumer.entry(key), model.get(key) ?? {});
    }
  },

  async "a set without fields and an empty key are refused"(fixture) {
    const { producer } = tables(fixture);
    await assert.rejects(producer.set("Ethernet0", {}), StoreError);
    await assert.rejects(producer.set("", { a: "1" }), StoreError);
    assert.equal(await producer.apply([]), 0);
    assert.equal(
      await fixture.store.db("APPL_DB").exists("PORT_TABLE_KEY_SET"),
      false,
    );
  },
};

for (const backend of [memoryBackend, redisBackend]) {
  defineChecks(checks, { suite: "producer", backend });
}

Deno.test({
  name: "producer [redis]: runs with EVALSHA and recovers from SCRIPT FLUSH",
  ignore: redisBackend.ignore,
  async fn() {
    const fixture = await redisBackend.open();
    try {
      const server = fixture.server!;
      const { producer, consumer } = tables(fixture);
      await producer.set("Ethernet0", { mtu: "9100" });
      await server.cli("SCRIPT", "FLUSH");
      await producer.set("Ethernet4", { mtu: "1500" });
      await server.cli("SCRIPT", "FLUSH");
      await fixture.store.db("APPL_DB").batch([
        { op: "hset", key: "marker", fields: { a: "1" } },
        {
          op: "eval",
          script: PRODUCER_APPLY_SCRIPT,
          keys: ["PORT_TABLE_KEY_SET", "PORT_TABLE_DEL_SET"],
          args: [CHANNEL, "_PORT_TABLE:", "S", "Ethernet8", "1", "mtu", "1"],
        },
      ]);
      const ops = byKey(await consumer.popAll());
      assert.deepEqual(Object.keys(ops).sort(), [
        "Ethernet0",
        "Ethernet4",
        "Ethernet8",
      ]);
      const stats = await server.cli("INFO", "commandstats");
      assert.match(stats, /cmdstat_evalsha:calls=\d+/);
      assert.doesNotMatch(stats, /cmdstat_eval:/);
    } finally {
      await fixture.close();
    }
  },
});
