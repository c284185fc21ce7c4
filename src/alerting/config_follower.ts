/**
 * Follows CONFIG_DB tables live, as SONiC's SubscriberStateTable does: a
 * keyspace watch of the tables' keys (the store's shared subscriber
 * connection), and each burst of changes re-reads the tables (they are
 * small) and hands the whole content to `onChange`. When the server's
 * `notify-keyspace-events` lacks keyspace events (or the store has no
 * watches), it says so once and re-reads every `pollMs` instead. A
 * reconnect of the watch re-reads too.
 * @module
 */

import type { Logger } from "../log/mod.ts";
import type { KeyWatch } from "../store/key_watch.ts";
import { type Database, type Fields, StoreReplyError } from "../store/types.ts";

/** The entries of each followed table: key (after `TABLE|`) → fields. */
export type TableContents = Map<string, Map<string, Fields>>;

/** Options of {@linkcode followConfigTables}. */
export interface FollowOptions {
  /** CONFIG_DB, through the store (read, and watched where it can be). */
  config: Database;
  /** The tables, e.g. `PORTSYNCD_ALERT_RULE`. */
  tables: string[];
  /** Called with every table's whole content, at start and after each change. */
  onChange(contents: TableContents): void;
  /** Logger. */
  log: Logger;
  /** Re-read period when keyspace notifications are off (default 10000). */
  pollMs?: number;
  /** Coalesces bursts of notifications (default 20 ms). */
  settleMs?: number;
}

/** A running follower. */
export interface ConfigFollower {
  /** Re-reads now (e.g. after the store reconnected). */
  refresh(): void;
  /** Stops following. */
  close(): Promise<void>;
}

/** Reads every entry of `tables` from CONFIG_DB; a non-hash key is skipped. */
export async function readTables(
  config: Database,
  tables: string[],
): Promise<TableContents> {
  const contents: TableContents = new Map();
  for (const table of tables) {
    const prefix = table + config.separator;
    const keys = (await config.scan(`${prefix}*`)).sort();
    const values = await config.batchSettled(
      keys.map((key) => ({ op: "hgetall", key }) as const),
    );
    const entries = new Map<string, Fields>();
    keys.forEach((key, index) => {
      const value = values[index];
      if (!(value instanceof StoreReplyError)) {
        entries.set(key.slice(prefix.length), value as Fields);
      }
    });
    contents.set(table, entries);
  }
  return contents;
}

/**
 * Reads the tables, calls `onChange`, then follows them until closed.
 *
 * @example
 * ```ts ignore
 * const follower = await followConfigTables({
 *   config: store.db("CONFIG_DB"),
 *   tables: ["PORTSYNCD_ALERT_RULE"],
 *   onChange: (contents) => console.log(contents),
 *   log,
 * });
 * ```
 */
export async function followConfigTables(
  options: FollowOptions,
): Promise<ConfigFollower> {
  const { config, tables, log } = options;
  const tableList = tables.join(", ");
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let reading: Promise<void> | null = null;
  let again = false;

  async function read(): Promise<void> {
    try {
      options.onChange(await readTables(config, tables));
    } catch (error) {
      log.warn(`cannot read CONFIG_DB ${tableList}; keeping the last`, {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  function refresh(): void {
    if (closed) return;
    if (reading !== null) {
      again = true;
      return;
    }
    reading = read().finally(() => {
      reading = null;
      if (again) {
        again = false;
        refresh();
      }
    });
  }

  function soon(): void {
    if (timer !== undefined || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      refresh();
    }, options.settleMs ?? 20);
  }

  await read();
  const watches: KeyWatch[] = [];
  let unavailable = config.watch === undefined
    ? "the store has no keyspace watches"
    : null;
  for (const table of tables) {
    if (unavailable !== null || config.watch === undefined) break;
    const watch = await config.watch({
      pattern: `${table}${config.separator}*`,
      handlers: { onEvent: soon, onLive: (live) => live && soon() },
    });
    watches.push(watch);
    unavailable = watch.unavailable;
  }
  let poll: ReturnType<typeof setInterval> | undefined;
  if (unavailable !== null) {
    log.warn(
      `CONFIG_DB ${unavailable}; ${tableList} changes are read periodically`,
      { every_ms: options.pollMs ?? 10_000 },
    );
    poll = setInterval(refresh, options.pollMs ?? 10_000);
  }
  return {
    refresh,
    async close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(poll);
      await Promise.all(watches.map((watch) => watch.close()));
      await reading;
    },
  };
}
