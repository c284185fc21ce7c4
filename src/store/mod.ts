/**
 * The store layer: the `Store` interface, its Redis and memory implementations,
 * `openStore` to pick one, and the ProducerStateTable writer.
 * @module
 */

export * from "./types.ts";
export { globMatch } from "./glob.ts";
export { Keyspace, MemoryData, type MessageListener } from "./memory_data.ts";
export {
  type MemoryDump,
  MemoryStore,
  type MemoryStoreOptions,
} from "./memory_store.ts";
export {
  PRODUCER_APPLY_SCRIPT,
  type ProducerChange,
  ProducerStateTable,
} from "./producer_state_table.ts";
export {
  RedisStore,
  type RedisStoreOptions,
  type StoreLogger,
  type StoreLogLevel,
} from "./redis_store.ts";
export { openStore, type OpenStoreOptions } from "./open_store.ts";
