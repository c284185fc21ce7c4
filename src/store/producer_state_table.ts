/**
 * The producer side of SONiC's ProducerStateTable protocol
 * (sonic_port_sync.md §2): how portsyncd writes APPL_DB so that orchagent,
 * which consumes a queue rather than polling, sees every change.
 * @module
 */

import {
  type Database,
  type Fields,
  type ScriptData,
  type ScriptReply,
  StoreError,
  type StoreScript,
} from "./types.ts";

/** One change for `ProducerStateTable.apply`: a set of fields or a delete. */
export type ProducerChange =
  | { key: string; fields: Fields }
  | { key: string; delete: true };

/**
 * One script for a whole batch of changes. KEYS: the key set and the del
 * set. ARGV: the channel, the pending-hash prefix (`_T<sep>`), then for each
 * change either `D key` or `S key n f1 v1 ... fn vn`. Publishes `G` once if
 * any key was newly added to the key set; returns that number of keys. The
 * keys go into the key set first, 1,000 per SADD (the script is atomic, so
 * only the end state is seen; `unpack` takes at most ~8,000 values).
 */
const APPLY_LUA = `
local keys = {}
local i = 3
while i <= #ARGV do
  keys[#keys + 1] = ARGV[i + 1]
  if ARGV[i] == 'D' then i = i + 2 else i = i + 3 + 2 * tonumber(ARGV[i + 2]) end
end
local added = 0
for first = 1, #keys, 1000 do
  local last = math.min(first + 999, #keys)
  added = added + redis.call('SADD', KEYS[1], unpack(keys, first, last))
end
i = 3
while i <= #ARGV do
  local key = ARGV[i + 1]
  if ARGV[i] == 'D' then
    redis.call('SADD', KEYS[2], key)
    redis.call('DEL', ARGV[2] .. key)
    i = i + 2
  else
    local n = tonumber(ARGV[i + 2])
    redis.call('HSET', ARGV[2] .. key, unpack(ARGV, i + 3, i + 2 + 2 * n))
    i = i + 3 + 2 * n
  end
end
if added > 0 then
  redis.call('PUBLISH', ARGV[1], 'G')
end
return added
`;

function emulateApply(
  data: ScriptData,
  keys: string[],
  args: string[],
): ScriptReply {
  const [keySet, delSet] = keys;
  const [channel, prefix] = args;
  let added = 0;
  let i = 2;
  while (i < args.length) {
    const op = args[i];
    const key = args[i + 1];
    added += data.sadd(keySet, [key]);
    if (op === "D") {
      data.sadd(delSet, [key]);
      data.del([prefix + key]);
      i += 2;
    } else {
      const count = Number(args[i + 2]);
      const fields: Fields = {};
      for (let j = 0; j < count; j++) {
        fields[args[i + 3 + 2 * j]] = args[i + 4 + 2 * j];
      }
      data.hset(prefix + key, fields);
      i += 3 + 2 * count;
    }
  }
  if (added > 0) data.publish(channel, "G");
  return added;
}

/** The batched producer script (Lua for Redis, `emulate` for memory). */
export const PRODUCER_APPLY_SCRIPT: StoreScript = {
  name: "producer_state_table_apply",
  lua: APPLY_LUA,
  emulate: emulateApply,
};

/**
 * Writes one APPL_DB table through the ProducerStateTable protocol: pending
 * fields in `_T<sep>key`, the key in `T_KEY_SET` (and `T_DEL_SET` for
 * deletes), and a `G` on `T_CHANNEL@<db id>`. `apply` sends any number of
 * changes as one script call: one round trip, at most one publish.
 *
 * @example
 * ```ts
 * import type { Store } from "./types.ts";
 * declare const store: Store;
 * const ports = new ProducerStateTable(store.db("APPL_DB"), "PORT_TABLE");
 * await ports.apply([
 *   { key: "Ethernet0", fields: { mtu: "9100" } },
 *   { key: "Ethernet4", delete: true },
 * ]);
 * ```
 */
export class ProducerStateTable {
  /** The database written to. */
  readonly db: Database;
  /** The table name, e.g. `PORT_TABLE`. */
  readonly table: string;
  /** `T_KEY_SET`. */
  readonly keySetName: string;
  /** `T_DEL_SET`. */
  readonly delSetName: string;
  /** `T_CHANNEL@<db id>`. */
  readonly channelName: string;
  /** `_T<sep>`, the prefix of the pending hashes. */
  readonly pendingPrefix: string;

  /** Creates a producer for `table` in `db`. */
  constructor(db: Database, table: string) {
    if (table === "") {
      throw new StoreError(`${db.name}: producer table name is empty`);
    }
    this.db = db;
    this.table = table;
    this.keySetName = `${table}_KEY_SET`;
    this.delSetName = `${table}_DEL_SET`;
    this.channelName = `${table}_CHANNEL@${db.id}`;
    this.pendingPrefix = `_${table}${db.separator}`;
  }

  /**
   * Queues new fields for `key` (merged with fields still pending).
   *
   * @example
   * ```ts
   * declare const ports: ProducerStateTable;
   * await ports.set("Ethernet0", { admin_status: "up" });
   * ```
   */
  async set(key: string, fields: Fields): Promise<void> {
    await this.apply([{ key, fields }]);
  }

  /**
   * Queues the deletion of `key` (dropping fields still pending).
   *
   * @example
   * ```ts
   * declare const ports: ProducerStateTable;
   * await ports.del("Ethernet0");
   * ```
   */
  async del(key: string): Promise<void> {
    await this.apply([{ key, delete: true }]);
  }

  /**
   * Applies changes in order, atomically, in one script call with at most
   * one publish. Returns how many keys were newly queued for the consumer.
   * A set with no fields is refused: the consumer would read it as a delete.
   *
   * @example
   * ```ts
   * declare const ports: ProducerStateTable;
   * await ports.apply([
   *   { key: "Ethernet0", delete: true },
   *   { key: "Ethernet0", fields: { mtu: "1500" } },
   * ]); // orchagent sees: delete, then set
   * ```
   */
  async apply(changes: ProducerChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    const args = [this.channelName, this.pendingPrefix];
    for (const change of changes) {
      if (change.key === "") {
        throw new StoreError(`${this.db.name} ${this.table}: empty key`);
      }
      if ("delete" in change) {
        args.push("D", change.key);
        continue;
      }
      const names = Object.keys(change.fields);
      if (names.length === 0) {
        throw new StoreError(
          `${this.db.name} ${this.table}: set of "${change.key}" has no fields (would read as a delete)`,
        );
      }
      args.push("S", change.key, String(names.length));
      for (const name of names) args.push(name, String(change.fields[name]));
    }
    const reply = await this.db.eval(
      PRODUCER_APPLY_SCRIPT,
      [this.keySetName, this.delSetName],
      args,
    );
    return typeof reply === "number" ? reply : Number(reply);
  }
}
