/**
 * The warm-start check of sonic_port_sync.md §3, step 2: warm or cold, from
 * STATE_DB, and the `restore_count` it records.
 * @module
 */

import type { Database, Fields } from "../store/types.ts";

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
 * import type { Store } from "../store/types.ts";
 * declare const store: Store;
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
