/**
 * Store throughput: pipelined HSET via `batch` and ProducerStateTable
 * `apply`, on MemoryStore and on a throw-away redis-server (unix socket).
 *
 * ```sh
 * deno bench -A bench/store_bench.ts
 * ```
 * @module
 */

import { MemoryStore } from "../src/store/memory_store.ts";
import {
  type ProducerChange,
  ProducerStateTable,
} from "../src/store/producer_state_table.ts";
import { RedisStore } from "../src/store/redis_store.ts";
import type { Store, StoreOp } from "../src/store/types.ts";
import { REDIS_AVAILABLE, startRedis } from "../tests/helpers/redis_server.ts";
import { contractConfig } from "../tests/store/store_contract.ts";

const server = REDIS_AVAILABLE ? await startRedis() : null;
globalThis.addEventListener("unload", () => {
  // stop() kills the server synchronously before its first await.
  void server?.stop();
  if (server !== null) Deno.removeSync(server.dir, { recursive: true });
});

const memory = new MemoryStore(contractConfig("/nonexistent.sock"));
const redis = server === null
  ? null
  : await RedisStore.connect(server.dbConfig, { databases: ["APPL_DB"] });

function hsetOps(count: number): StoreOp[] {
  return Array.from({ length: count }, (_, i) => ({
    op: "hset" as const,
    key: `BENCH_TABLE:Ethernet${i * 4}`,
    fields: { admin_status: "up", mtu: "9100", speed: "100000" },
  }));
}

function portChanges(count: number): ProducerChange[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `Ethernet${i * 4}`,
    fields: {
      alias: `etp${i + 1}`,
      lanes: `${i * 4},${i * 4 + 1},${i * 4 + 2},${i * 4 + 3}`,
      speed: "100000",
      mtu: "9100",
      admin_status: "up",
      fec: "rs",
      index: String(i),
      description: "",
    },
  }));
}

const backends: [string, Store | null][] = [["memory", memory], [
  "redis",
  redis,
]];
const hsets = hsetOps(1000);
const ports100 = portChanges(100);
const ports1000 = portChanges(1000);

for (const [name, store] of backends) {
  const ignore = store === null;
  Deno.bench({
    name: `${name}: batch of 1000 HSET`,
    group: "batch 1000 hset",
    baseline: name === "memory",
    ignore,
    async fn() {
      await store!.db("APPL_DB").batch(hsets);
    },
  });
  Deno.bench({
    name: `${name}: single HSET`,
    group: "single hset",
    baseline: name === "memory",
    ignore,
    async fn() {
      await store!.db("APPL_DB").hset("BENCH:one", { a: "1" });
    },
  });
  for (
    const [count, changes] of [[100, ports100], [1000, ports1000]] as const
  ) {
    Deno.bench({
      name: `${name}: producer apply ${count} ports`,
      group: `producer apply ${count}`,
      baseline: name === "memory",
      ignore,
      async fn() {
        const producer = new ProducerStateTable(
          store!.db("APPL_DB"),
          "PORT_TABLE",
        );
        await producer.apply([...changes]);
      },
    });
  }
}
