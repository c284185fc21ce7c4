/**
 * Start-up steps of port sync that talk to the databases: reading
 * CONFIG_DB's ports and publishing them to APPL_DB (sonic_port_sync.md §3,
 * step 4). The warm-start check (step 2) is in `src/warm_restart`.
 * @module
 */

import { type Database, type Fields, StoreReplyError } from "../store/types.ts";
import type {
  ProducerChange,
  ProducerStateTable,
} from "../store/producer_state_table.ts";
import { configFieldsForAppl } from "./decide.ts";

/**
 * Most changes per producer script call at start-up: one call for 100,000
 * ports holds Redis for its whole run, builds a Lua table of 1.3 million
 * arguments, and is sent twice when the script must be loaded first.
 */
const PUBLISH_CHUNK = 4096;

/** The APPL_DB / STATE_DB table portsyncd writes. */
export const PORT_TABLE = "PORT_TABLE";
/** The CONFIG_DB table ports are configured in. */
export const CONFIG_PORT_TABLE = "PORT";

/**
 * Reads every CONFIG_DB `PORT|*` entry, by port name, with field names cut
 * at the first `@`. An entry with an empty name or that is not a hash is
 * skipped and reported to `onSkipped` with its key (the rest still sync).
 *
 * @example
 * ```ts
 * import type { Store } from "../store/types.ts";
 * declare const store: Store;
 * const ports = await readPortConfig(store.db("CONFIG_DB"));
 * ports.get("Ethernet0")?.lanes;
 * ```
 */
export async function readPortConfig(
  config: Database,
  options: { onSkipped?: (key: string, reason: string) => void } = {},
): Promise<Map<string, Fields>> {
  const prefix = CONFIG_PORT_TABLE + config.separator;
  const keys = (await config.scan(`${prefix}*`)).sort();
  const named = keys.filter((key) => {
    if (key.length > prefix.length) return true;
    options.onSkipped?.(key, "empty port name");
    return false;
  });
  const values = await config.batchSettled(
    named.map((key) => ({ op: "hgetall", key }) as const),
  );
  const ports = new Map<string, Fields>();
  named.forEach((key, index) => {
    const value = values[index];
    if (value instanceof StoreReplyError) {
      options.onSkipped?.(
        key,
        value.code === "WRONGTYPE" ? "not a hash" : value.message,
      );
      return;
    }
    ports.set(key.slice(prefix.length), configFieldsForAppl(value as Fields));
  });
  return ports;
}

/**
 * Publishes the configured ports to APPL_DB `PORT_TABLE` through the
 * producer (one script call per 4,096 ports, in order, the calls after the
 * first pipelined), then, once they all succeeded, `PortConfigDone` with
 * `count` = the number of ports. Ports with no fields are skipped (the consumer would read
 * an empty set as a delete) and returned.
 *
 * @example
 * ```ts
 * import { ProducerStateTable } from "../store/producer_state_table.ts";
 * import type { Store } from "../store/types.ts";
 * declare const store: Store;
 * const ports = await readPortConfig(store.db("CONFIG_DB"));
 * const producer = new ProducerStateTable(store.db("APPL_DB"), PORT_TABLE);
 * await publishPortConfig(producer, ports);
 * ```
 */
export async function publishPortConfig(
  producer: ProducerStateTable,
  ports: ReadonlyMap<string, Fields>,
): Promise<string[]> {
  const changes: ProducerChange[] = [];
  const skipped: string[] = [];
  for (const [port, fields] of ports) {
    if (Object.keys(fields).length === 0) {
      skipped.push(port);
      continue;
    }
    changes.push({ key: port, fields });
  }
  // The first script call alone (it may have to load the script first: a
  // NOSCRIPT makes the store send the call again), then the other ports'
  // calls together; PortConfigDone only once every port is in.
  await producer.apply(changes.slice(0, PUBLISH_CHUNK));
  const rest: Promise<number>[] = [];
  for (
    let start = PUBLISH_CHUNK;
    start < changes.length;
    start += PUBLISH_CHUNK
  ) {
    rest.push(producer.apply(changes.slice(start, start + PUBLISH_CHUNK)));
  }
  await Promise.all(rest);
  await producer.apply([{
    key: "PortConfigDone",
    fields: { count: String(changes.length) },
  }]);
  return skipped;
}
