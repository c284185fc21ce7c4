/**
 * Warm restart: the warm-start check (and, next, its metrics and state file).
 * @module
 */

export * from "./check.ts";
