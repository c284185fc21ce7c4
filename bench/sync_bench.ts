/**
 * Port sync cost per drained batch: the pure decisions alone, then the
 * engine (`PortSync.handle`: APPL_DB check + STATE_DB writes, two round
 * trips per batch) on MemoryStore and on a throw-away redis-server.
 *
 * ```sh
 * deno bench -A bench/sync_bench.ts
 * ```
 * @module
 */

import { parseDbConfig } from "../src/config/db_config.ts";
import { BUILTIN_DB_CONFIG } from "../src/config/settings.ts";
import { createLogger } from "../src/log/mod.ts";
import type { LinkEvent, NetlinkNotice } from "../src/netlink/types.ts";
import { link } from "../tests/sync/links.ts";
import { MemoryStore } from "../src/store/memory_store.ts";
import { RedisStore } from "../src/store/redis_store.ts";
import type { Store } from "../src/store/types.ts";
import { coalesce, planWrites } from "../src/sync/decide.ts";
import { PortSync } from "../src/sync/port_sync.ts";
import { REDIS_AVAILABLE, startRedis } from "../tests/helpers/redis_server.ts";

const PORT_COUNT = 32;
const PORTS = Array.from({ length: PORT_COUNT }, (_, i) => `Ethernet${i * 4}`);

/** `count` link events cycling over the ports, alternating oper state. */
function events(count: number, round: number): LinkEvent[] {
  return Array.from({ length: count }, (_, i) =>
    link(PORTS[i % PORT_COUNT], {
      oper: (i + round) % 2 === 0 ? "up" : "down",
      ifindex: 10 + (i % PORT_COUNT),
    }));
}

function notices(list: LinkEvent[]): NetlinkNotice[] {
  return list.map((event) => ({ kind: "link", event, seq: 0 }));
}

async function engine(store: Store): Promise<PortSync> {
  const appl = store.db("APPL_DB");
  await appl.batch(PORTS.map((port) => ({
    op: "hset",
    key: `PORT_TABLE:${port}`,
    fields: { lanes: "0", speed: "100000" },
  })));
  return new PortSync(store, {
    links: { requestDump: () => 1 },
    log: createLogger("error"),
  });
}

const config = parseDbConfig(BUILTIN_DB_CONFIG, { source: "bench" });
const server = REDIS_AVAILABLE ? await startRedis() : null;
globalThis.addEventListener("unload", () => {
  void server?.stop();
  if (server !== null) Deno.removeSync(server.dir, { recursive: true });
});
const redis = server === null
  ? null
  : await RedisStore.connect(server.dbConfig, {
    databases: ["APPL_DB", "CONFIG_DB", "STATE_DB"],
  });

const inAppl = new Set(PORTS);
for (const size of [1, 64, 1024]) {
  const batches = [events(size, 0), events(size, 1)];
  let round = 0;
  Deno.bench({
    name: `decide: coalesce + plan, ${size} messages`,
    group: `decide ${size}`,
    fn: () => {
      const changes = coalesce(batches[round++ % 2]);
      planWrites(changes.values(), { inAppl, written: new Map() });
    },
  });
}

const backends: [string, Store | null][] = [
  ["memory", new MemoryStore(config)],
  ["redis", redis],
];
for (const [name, store] of backends) {
  if (store === null) continue;
  const sync = await engine(store);
  for (const size of [1, 64, 1024]) {
    // Alternate states so every batch really writes every port it names.
    const batches = [notices(events(size, 0)), notices(events(size, 1))];
    let round = 0;
    Deno.bench({
      name: `PortSync.handle on ${name}, ${size} messages`,
      group: `handle ${size}`,
      baseline: name === "memory",
      fn: async () => {
        await sync.handle(batches[round++ % 2]);
      },
    });
  }
}
