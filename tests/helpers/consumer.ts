/**
 * An independent ConsumerStateTable (orchagent's side of
 * sonic_port_sync.md §2), written from the protocol description and not
 * from our producer, plus a channel message counter. Both work over
 * `RedisStore` and `MemoryStore`.
 * @module
 */

import { createClient } from "@redis/client";
import type { MemoryStore } from "../../src/store/memory_store.ts";
import type {
  Database,
  Fields,
  ScriptData,
  ScriptReply,
  StoreScript,
} from "../../src/store/types.ts";

/** One operation as orchagent would see it. */
export type ConsumerOp =
  | { op: "del"; key: string }
  | { op: "set"; key: string; fields: Fields };

/**
 * KEYS: key set, del set. ARGV: count, table prefix `T<sep>`, pending
 * prefix `_T<sep>`. Returns `{"del", key}` and `{"set", key, f, v, ...}`.
 */
const POP_LUA = `
local result = {}
local keys = redis.call('SPOP', KEYS[1], ARGV[1])
for _, key in ipairs(keys) do
  local deleted = redis.call('SREM', KEYS[2], key)
  if deleted == 1 then
    redis.call('DEL', ARGV[2] .. key)
    table.insert(result, {'del', key})
  end
  local fields = redis.call('HGETALL', ARGV[3] .. key)
  if #fields > 0 then
    local entry = {'set', key}
    for i = 1, #fields, 2 do
      redis.call('HSET', ARGV[2] .. key, fields[i], fields[i + 1])
      table.insert(entry, fields[i])
      table.insert(entry, fields[i + 1])
    end
    redis.call('DEL', ARGV[3] .. key)
    table.insert(result, entry)
  elseif deleted == 0 then
    table.insert(result, {'del', key})
  end
end
return result
`;

function emulatePop(
  data: ScriptData,
  keys: string[],
  args: string[],
): ScriptReply {
  const [keySet, delSet] = keys;
  const [count, tablePrefix, pendingPrefix] = args;
  const result: ScriptReply[] = [];
  for (const key of data.spop(keySet, Number(count))) {
    const deleted = data.srem(delSet, [key]) === 1;
    if (deleted) {
      data.del([tablePrefix + key]);
      result.push(["del", key]);
    }
    const fields = data.hgetall(pendingPrefix + key);
    const names = Object.keys(fields);
    if (names.length > 0) {
      data.hset(tablePrefix + key, fields);
      data.del([pendingPrefix + key]);
      result.push([
        "set",
        key,
        ...names.flatMap((name) => [name, fields[name]]),
      ]);
    } else if (!deleted) {
      result.push(["del", key]);
    }
  }
  return result;
}

const POP_SCRIPT: StoreScript = {
  name: "test_consumer_pop",
  lua: POP_LUA,
  emulate: emulatePop,
};

/**
 * Plays orchagent for one table: pops pending keys and applies them to the
 * final `T<sep>key` hashes.
 *
 * @example
 * ```ts
 * const consumer = new TestConsumer(store.db("APPL_DB"), "PORT_TABLE");
 * const ops = await consumer.popAll();
 * ```
 */
export class TestConsumer {
  readonly #db: Database;
  readonly #keys: string[];
  readonly #tablePrefix: string;
  readonly #pendingPrefix: string;

  /** Creates a consumer of `table` in `db`. */
  constructor(db: Database, table: string) {
    this.#db = db;
    this.#keys = [`${table}_KEY_SET`, `${table}_DEL_SET`];
    this.#tablePrefix = `${table}${db.separator}`;
    this.#pendingPrefix = `_${table}${db.separator}`;
  }

  /** Pops up to `count` keys atomically; returns their operations. */
  async pop(count = 128): Promise<ConsumerOp[]> {
    const reply = await this.#db.eval(POP_SCRIPT, this.#keys, [
      String(count),
      this.#tablePrefix,
      this.#pendingPrefix,
    ]);
    return (reply as string[][]).map((entry) => {
      const [op, key, ...rest] = entry.map(String);
      if (op === "del") return { op: "del", key };
      const fields: Fields = {};
      for (let i = 0; i + 1 < rest.length; i += 2) {
        fields[rest[i]] = rest[i + 1];
      }
      return { op: "set", key, fields };
    });
  }

  /** Pops until nothing is pending. */
  async popAll(): Promise<ConsumerOp[]> {
    const all: ConsumerOp[] = [];
    while (true) {
      const ops = await this.pop();
      if (ops.length === 0) return all;
      all.push(...ops);
    }
  }

  /** The final hash of `key` (what orchagent would hold). */
  entry(key: string): Promise<Fields> {
    return this.#db.hgetall(this.#tablePrefix + key);
  }
}

/** Counts messages on one channel. */
export interface ChannelCounter {
  /** Messages received so far, in order (sync markers excluded). */
  readonly messages: string[];
  /**
   * Publishes a marker through `db` and waits until it comes back, so every
   * message published before has been counted.
   */
  sync(db: Database, timeoutMs?: number): Promise<void>;
  /** Stops listening. */
  close(): Promise<void>;
}

class Counter implements ChannelCounter {
  readonly messages: string[] = [];
  readonly #channel: string;
  readonly #waiters = new Map<string, () => void>();
  #markers = 0;
  closeListener: () => Promise<void> = () => Promise.resolve();

  constructor(channel: string) {
    this.#channel = channel;
  }

  receive(message: string): void {
    const waiter = this.#waiters.get(message);
    if (waiter !== undefined) {
      this.#waiters.delete(message);
      waiter();
      return;
    }
    this.messages.push(message);
  }

  async sync(db: Database, timeoutMs = 5000): Promise<void> {
    const marker = `__sync_${++this.#markers}`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arrived = new Promise<void>((resolve, reject) => {
      this.#waiters.set(marker, resolve);
      timer = setTimeout(
        () => reject(new Error(`no sync marker within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await db.publish(this.#channel, marker);
      await arrived;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.closeListener();
  }
}

/**
 * Counts messages on `channel` of a `MemoryStore`.
 *
 * @example
 * ```ts
 * const counter = countMemoryMessages(store, "PORT_TABLE_CHANNEL@0");
 * ```
 */
export function countMemoryMessages(
  store: MemoryStore,
  channel: string,
): ChannelCounter {
  const counter = new Counter(channel);
  const stop = store.data.subscribe(channel, (m) => counter.receive(m));
  counter.closeListener = () => {
    stop();
    return Promise.resolve();
  };
  return counter;
}

/**
 * Counts messages on `channel` of the Redis server at `socketPath`, with
 * its own subscriber connection.
 *
 * @example
 * ```ts
 * const counter = await countRedisMessages(server.socketPath, "PORT_TABLE_CHANNEL@0");
 * ```
 */
export async function countRedisMessages(
  socketPath: string,
  channel: string,
): Promise<ChannelCounter> {
  const counter = new Counter(channel);
  const client = createClient({
    socket: { path: socketPath, tls: false },
  });
  client.on("error", () => {});
  await client.connect();
  await client.subscribe(
    channel,
    (message: string) => counter.receive(message),
  );
  counter.closeListener = async () => {
    client.destroy();
    await Promise.resolve();
  };
  return counter;
}
