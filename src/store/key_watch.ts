/**
 * Live keyspace events of a database's keys. One subscriber connection per
 * Redis instance serves every watch on it (APPL_DB's ports, CONFIG_DB's
 * rules and log level): each watch listens to `__keyspace@<id>__:<pattern>`
 * and hears every event (the key and the event name, e.g. `hset`, `del`).
 * A watch also hears when delivery starts and stops (subscribed; connection
 * lost), because events sent while it is down are lost and whoever caches
 * from them must forget what it knew. When the server's
 * `notify-keyspace-events` does not cover every event that can create or
 * remove a hash key, watches never go live and say why.
 * @module
 */

import { createClient, type RedisClientType } from "@redis/client";
import type { RedisInstance } from "../config/db_config.ts";

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
  /** Stops the watch (the connection closes with its last watch). */
  close(): Promise<void>;
}

/** Options of {@linkcode KeyspaceSubscriber.watch}. */
export interface WatchKeysOptions {
  /** Key pattern, e.g. `PORT_TABLE:*`. */
  pattern: string;
  /** Who hears the events. */
  handlers: KeyWatchHandlers;
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

type Client = RedisClientType;

interface Entry {
  channel: string;
  handlers: KeyWatchHandlers;
  listener: (event: string, channel: string) => void;
  /** Its own subscribe was confirmed (then it follows the connection). */
  subscribed: boolean;
  live: boolean;
}

/**
 * The subscriber connection of one Redis instance, opened with the first
 * watch and closed with the last.
 *
 * @example
 * ```ts ignore
 * const subscriber = new KeyspaceSubscriber(info.instance);
 * const watch = await subscriber.watch(info.id, {
 *   pattern: "PORT_TABLE:*",
 *   handlers: { onEvent: (key) => console.log(key), onLive: () => {} },
 * });
 * await watch.close();
 * ```
 */
export class KeyspaceSubscriber {
  readonly #instance: RedisInstance;
  readonly #timeoutMs: number;
  readonly #entries = new Set<Entry>();
  #client: Client | null = null;
  /** Resolves with null once connected and checked, or with why not. */
  #opening: Promise<string | null> | null = null;

  /** For `instance`; connect and subscribe have a `timeoutMs` deadline (default 5000). */
  constructor(instance: RedisInstance, options: { timeoutMs?: number } = {}) {
    this.#instance = instance;
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  /**
   * Watches database `id`'s keys matching `options.pattern`. Resolves once
   * subscribed (live), or with a watch that never goes live and names why
   * (`unavailable`): notifications off, or no subscriber connection within
   * the deadline. It never rejects.
   */
  async watch(id: number, options: WatchKeysOptions): Promise<KeyWatch> {
    const prefix = `__keyspace@${id}__:`;
    const entry: Entry = {
      channel: prefix + options.pattern,
      handlers: options.handlers,
      subscribed: false,
      live: false,
      listener: (event, channel) => {
        if (this.#entries.has(entry)) {
          options.handlers.onEvent(channel.slice(prefix.length), event);
        }
      },
    };
    const unavailable = await this.#deadline(this.#subscribe(entry));
    if (unavailable !== null) {
      await this.#remove(entry);
      return { live: false, unavailable, close: () => Promise.resolve() };
    }
    entry.subscribed = true;
    if (this.#client?.isReady) setLive(entry, true);
    return {
      get live() {
        return entry.live;
      },
      unavailable: null,
      close: () => this.#remove(entry),
    };
  }

  /** Closes every watch and the connection. */
  async close(): Promise<void> {
    for (const entry of [...this.#entries]) await this.#remove(entry);
  }

  async #subscribe(entry: Entry): Promise<string | null> {
    this.#entries.add(entry);
    this.#opening ??= this.#open();
    const unavailable = await this.#opening;
    if (unavailable !== null) return unavailable;
    await this.#client!.pSubscribe(entry.channel, entry.listener);
    return null;
  }

  async #open(): Promise<string | null> {
    const instance = this.#instance;
    const client = createClient({
      socket: instance.unixSocketPath !== null
        ? { path: instance.unixSocketPath, tls: false }
        : { host: instance.hostname, port: instance.port },
    });
    this.#client = client;
    // node-redis reconnects by itself and re-subscribes before `ready`.
    client.on("error", () => this.#setAllLive(false));
    client.on("end", () => this.#setAllLive(false));
    client.on("reconnecting", () => this.#setAllLive(false));
    client.on("ready", () => this.#setAllLive(true));
    try {
      await client.connect();
      const reply = await client.configGet("notify-keyspace-events");
      const flags = String(
        (reply as Record<string, string>)["notify-keyspace-events"] ?? "",
      );
      if (keyspaceEventsCover(flags)) return null;
      return `keyspace notifications are off (notify-keyspace-events "${flags}")`;
    } catch (error) {
      return `cannot subscribe: ${
        error instanceof Error ? error.message : String(error)
      }`;
    }
  }

  #deadline(work: Promise<string | null>): Promise<string | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<string>((resolve) => {
      timer = setTimeout(
        () => resolve(`no subscriber connection in ${this.#timeoutMs} ms`),
        this.#timeoutMs,
      );
    });
    const settled = work.catch((error: unknown) =>
      `cannot subscribe: ${error instanceof Error ? error.message : error}`
    );
    return Promise.race([settled, late]).finally(() => clearTimeout(timer));
  }

  /** Watches whose subscribe was confirmed follow the connection. */
  #setAllLive(live: boolean): void {
    for (const entry of this.#entries) {
      if (entry.subscribed) setLive(entry, live);
    }
  }

  async #remove(entry: Entry): Promise<void> {
    if (!this.#entries.delete(entry)) return;
    entry.live = false;
    entry.subscribed = false;
    const client = this.#client;
    if (client === null) return;
    if (this.#entries.size === 0) {
      this.#client = null;
      this.#opening = null;
      if (client.isOpen) client.destroy();
      return;
    }
    if (client.isReady) {
      await client.pUnsubscribe(entry.channel, entry.listener).catch(() => {});
    }
  }
}

function setLive(entry: Entry, live: boolean): void {
  if (entry.live === live) return;
  entry.live = live;
  entry.handlers.onLive(live);
}
