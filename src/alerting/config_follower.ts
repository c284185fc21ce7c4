/**
 * Follows CONFIG_DB tables live, as SONiC's SubscriberStateTable does: a
 * subscriber connection listens to keyspace notifications of the tables'
 * keys, and each burst of changes re-reads the tables (they are small) and
 * hands the whole content to `onChange`. When the server's
 * `notify-keyspace-events` lacks keyspace events, it says so once and
 * re-reads every `pollMs` instead. A reconnect re-reads too.
 * @module
 */

import { createClient } from "redis";
import type { DatabaseInfo } from "../config/db_config.ts";
import type { Logger } from "../log/mod.ts";
import { type Database, type Fields, StoreReplyError } from "../store/types.ts";

/** The entries of each followed table: key (after `TABLE|`) → fields. */
export type TableContents = Map<string, Map<string, Fields>>;

/** Options of {@linkcode followConfigTables}. */
export interface FollowOptions {
  /** CONFIG_DB, through the store (for reading). */
  config: Database;
  /** Where CONFIG_DB lives (for the subscriber connection). */
  info: DatabaseInfo;
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
 *   info: dbConfig.databases.get("CONFIG_DB")!,
 *   tables: ["PORTSYNCD_ALERT_RULE"],
 *   onChange: (contents) => console.log(contents),
 *   log,
 * });
 * ```
 */
export async function followConfigTables(
  options: FollowOptions,
): Promise<ConfigFollower> {
  const { config, info, tables, log } = options;
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
  const subscriber = createClient({
    socket: info.instance.unixSocketPath !== null
      ? { path: info.instance.unixSocketPath, tls: false }
      : { host: info.instance.hostname, port: info.instance.port },
  });
  subscriber.on("error", () => {}); // reconnects by itself; reads go through the store
  subscriber.on("ready", soon);
  let poll: ReturnType<typeof setInterval> | undefined;
  try {
    await subscriber.connect();
    const events = await keyspaceEvents(subscriber);
    if (
      events.includes("K") && (events.includes("A") || events.includes("h"))
    ) {
      for (const table of tables) {
        await subscriber.pSubscribe(
          `__keyspace@${info.id}__:${table}${config.separator}*`,
          soon,
        );
      }
    } else {
      log.warn(
        `CONFIG_DB keyspace notifications are off (notify-keyspace-events); ${tableList} changes are read periodically`,
        { every_ms: options.pollMs ?? 10_000 },
      );
      poll = setInterval(refresh, options.pollMs ?? 10_000);
    }
  } catch (error) {
    log.warn(
      `cannot follow CONFIG_DB ${tableList} live; reading periodically`,
      {
        error: error instanceof Error ? error.message : String(error),
      },
    );
    poll = setInterval(refresh, options.pollMs ?? 10_000);
  }
  return {
    refresh,
    async close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(poll);
      subscriber.destroy();
      await reading;
    },
  };
}

async function keyspaceEvents(
  client: ReturnType<typeof createClient>,
): Promise<string> {
  const reply = await client.configGet("notify-keyspace-events");
  return String(
    (reply as Record<string, string>)["notify-keyspace-events"] ?? "",
  );
}
