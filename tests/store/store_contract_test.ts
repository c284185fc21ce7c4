/**
 * Runs the store contract against `MemoryStore` and a real redis-server.
 * @module
 */

import {
  defineContractTests,
  memoryBackend,
  redisBackend,
} from "./store_contract.ts";

defineContractTests(memoryBackend);
defineContractTests(redisBackend);
