/**
 * Live keyspace events of one database's keys: a subscriber connection of
 * its own listens to `__keyspace@<id>__:<pattern>` and reports every event
 * (the key and the event name, e.g. `hset`, `del`). A watch also says when
 * delivery starts and stops (subscribed; connection lost), because events
 * sent while it is down are lost and whoever caches from them must forget
 * what it knew. When the server's `notify-keyspace-events` does not cover
 * every event that can create or remove a hash key, the watch never goes
 * live and says why.
 * @module
 */

import { createClient } from "redis";
import type { DatabaseInfo } from "../config/db_config.ts";

/** Receives a watch's events. */
export interface KeyWatchHandlers {
  /** A key matching the pattern was touched (`event`: `hset`, `del`, ...). */
  onEvent(key: string, event: string): void;
  /**
   * Delivery started (subscribed, after the first connect or a reconnect)
   * or stopped (connection lost: events until the next `true` are lost).
   */
  onLive(live: boolean): void;
}

/** A running watch; `close()` it. */
export interface KeyWatch {
  /** True while events are delivered. */
  readonly live: boolean;
  /** Why this watch never delivers (notifications off, no subscriber), or null. */
  readonly unavailable: string | null;
  /** Stops the watch and closes its connection. */
  close(): Promise<void>;
}

/** Options of {@linkcode watchKeys}. */
export interface WatchKeysOptions {
  /** Key pattern, e.g. `PORT_TABLE:*`. */
  pattern: string;
  /** Who hears the events. */
  handlers: KeyWatchHandlers;
  /** Deadline of the connect and subscribe, in ms (default 5000). */
  timeoutMs?: number;
}

/**
 * Event classes whose events can create, remove or retype a hash key:
 * generic (`del`, `rename_*`, `restore`, `move`, `copy_to`), hash, string
 * (`set` over a hash), expired and evicted.
 */
const NEEDED_CLASSES = ["g", "h", "$", "x", "e"];

/**
 * True when a `notify-keyspace-events` value sends keyspace (`K`) events of
 * every class that can create or remove a hash key (`A`, or `g h $ x e`).
 */
export function keyspaceEventsCover(flags: string): boolean {
  if (!flags.includes("K")) return false;
  return flags.includes("A") ||
    NEEDED_CLASSES.every((flag) => flags.includes(flag));
}

type Subscriber = ReturnType<typeof createClient>;

/** Opens a node-redis client on the instance holding `info`. */
export function subscriberClient(info: DatabaseInfo): Subscriber {
  const client = createClient({
    socket: info.instance.unixSocketPath !== null
      ? { path: info.instance.unixSocketPath, tls: false }
      : { host: info.instance.hostname, port: info.instance.port },
  });
  // Reconnects by itself; what was missed is signalled through `end`.
  client.on("error", () => {});
  return client;
}

/** The server's `notify-keyspace-events` flags. */
export async function keyspaceEventFlags(client: Subscriber): Promise<string> {
  const reply = await client.configGet("notify-keyspace-events");
  return String(
    (reply as Record<string, string>)["notify-keyspace-events"] ?? "",
  );
}

/**
 * Watches the keys of database `info` that match `options.pattern`.
 * Resolves once subscribed (live), or with a watch that never goes live and
 * names why (`unavailable`): notifications off, or no subscriber connection
 * within the deadline. It never rejects.
 *
 * @example
 * ```ts ignore
 * const watch = await watchKeys(dbConfig.databases.get("APPL_DB")!, {
 *   pattern: "PORT_TABLE:*",
 *   handlers: { onEvent: (key) => console.log(key), onLive: () => {} },
 * });
 * await watch.close();
 * ```
 */
export async function watchKeys(
  info: DatabaseInfo,
  options: WatchKeysOptions,
): Promise<KeyWatch> {
  const { handlers } = options;
  const client = subscriberClient(info);
  const channelPrefix = `__keyspace@${info.id}__:`;
  let subscribed = false;
  let live = false;
  let closed = false;
  const setLive = (value: boolean): void => {
    if (live === value || closed) return;
    live = value;
    handlers.onLive(value);
  };
  // node-redis re-subscribes as part of a reconnect, before `ready`.
  client.on("ready", () => subscribed && setLive(true));
  client.on("end", () => setLive(false));
  client.on("reconnecting", () => setLive(false));
  client.on("error", () => setLive(false));
  const watch = {
    unavailable: null as string | null,
    get live() {
      return live;
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      live = false;
      if (client.isOpen) client.destroy();
      return Promise.resolve();
    },
  };
  const deadlineMs = options.timeoutMs ?? 5000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`no subscriber connection in ${deadlineMs} ms`),
      deadlineMs,
    );
  });
  const subscribe = async (): Promise<string | null> => {
    await client.connect();
    const flags = await keyspaceEventFlags(client);
    if (!keyspaceEventsCover(flags)) {
      return `keyspace notifications are off (notify-keyspace-events "${flags}")`;
    }
    await client.pSubscribe(
      channelPrefix + options.pattern,
      (event, channel) => {
        if (!closed) {
          handlers.onEvent(
            channel.slice(channelPrefix.length),
            event,
          );
        }
      },
    );
    return null;
  };
  const outcome = await Promise.race([
    subscribe().catch((error: unknown) =>
      `cannot subscribe: ${error instanceof Error ? error.message : error}`
    ),
    deadline,
  ]);
  clearTimeout(timer);
  if (outcome !== null) {
    watch.unavailable = outcome;
    await watch.close();
    return watch;
  }
  subscribed = true;
  setLive(true);
  return watch;
}
