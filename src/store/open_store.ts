/**
 * `openStore`: picks the store backend named on the command line.
 * @module
 */

import type { DbConfig } from "../config/db_config.ts";
import { MemoryStore, type MemoryStoreOptions } from "./memory_store.ts";
import { RedisStore, type RedisStoreOptions } from "./redis_store.ts";
import type { Store } from "./types.ts";

/** Options of `openStore`: those of the chosen backend. */
export interface OpenStoreOptions {
  /** Passed to `RedisStore.connect` for `redis`. */
  redis?: RedisStoreOptions;
  /** Passed to `MemoryStore` for `memory`. */
  memory?: MemoryStoreOptions;
}

/**
 * Opens a `redis` store (connecting) or a fresh `memory` store.
 *
 * @example
 * ```ts
 * import type { DbConfig } from "../config/db_config.ts";
 * declare const config: DbConfig;
 * const store = await openStore("redis", config, {
 *   redis: { databases: ["CONFIG_DB", "APPL_DB", "STATE_DB"] },
 * });
 * ```
 */
export async function openStore(
  kind: "redis" | "memory",
  config: DbConfig,
  options: OpenStoreOptions = {},
): Promise<Store> {
  if (kind === "memory") return new MemoryStore(config, options.memory);
  return await RedisStore.connect(config, options.redis);
}
