/**
 * Start-up steps of port sync that talk to the databases: the warm-start
 * check and publishing CONFIG_DB's ports to APPL_DB (sonic_port_sync.md §3,
 * steps 2 and 4).
 * @module
 */

import { type Database, type Fields, StoreReplyError } from "../store/types.ts";
import type {
  ProducerChange,
  ProducerStateTable,
} from "../store/producer_state_table.ts";
import { configFieldsForAppl } from "./decide.ts";

/** The APPL_DB / STATE_DB table portsyncd writes. */
export const PORT_TABLE = "PORT_TABLE";
/** The CONFIG_DB table ports are configured in. */
export const CONFIG_PORT_TABLE = "PORT";

/** Outcome of the warm-start check. */
export interface WarmStart {
  /** True for a warm start (nothing is published to APPL_DB). */
  warm: boolean;
  /** The `restore_count` written to `WARM_RESTART_TABLE|portsyncd`. */
  restoreCount: number;
}

/**
 * Decides warm or cold from STATE_DB and records `restore_count`: warm when
 * `WARM_RESTART_ENABLE_TABLE|system` or `|swss` has `enable` = `true` and a
 * previous `restore_count` exists (then it is incremented); otherwise cold
 * (written as 0).
 *
 * @example
 * ```ts
 * const { warm } = await checkWarmStart(store.db("STATE_DB"));
 * ```
 */
export async function checkWarmStart(state: Database): Promise<WarmStart> {
  const sep = state.separator;
  const restoreKey = `WARM_RESTART_TABLE${sep}portsyncd`;
  const [system, swss, previous] = await state.batch([
    { op: "hgetall", key: `WARM_RESTART_ENABLE_TABLE${sep}system` },
    { op: "hgetall", key: `WARM_RESTART_ENABLE_TABLE${sep}swss` },
    { op: "hgetall", key: restoreKey },
  ]) as Fields[];
  const enabled = system.enable === "true" || swss.enable === "true";
  const count = Number.parseInt(previous.restore_count ?? "", 10);
  const warm = enabled && Number.isInteger(count) && count >= 0;
  const restoreCount = warm ? count + 1 : 0;
  await state.hset(restoreKey, { restore_count: String(restoreCount) });
  return { warm, restoreCount };
}

/**
 * Reads every CONFIG_DB `PORT|*` entry, by port name, with field names cut
 * at the first `@`. An entry with an empty name or that is not a hash is
 * skipped and reported to `onSkipped` with its key (the rest still sync).
 *
 * @example
 * ```ts
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
 * producer, then `PortConfigDone` with `count` = the number of ports, all in
 * one round trip. Ports with no fields are skipped (the consumer would read
 * an empty set as a delete) and returned.
 *
 * @example
 * ```ts
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
  changes.push({
    key: "PortConfigDone",
    fields: { count: String(changes.length) },
  });
  await producer.apply(changes);
  return skipped;
}
