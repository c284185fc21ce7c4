/**
 * Signal dispositions through libc, for what Deno's signal API cannot do:
 * make the kernel discard a signal (`SIG_IGN`), so that no handler — Deno's
 * own included — ever runs for it.
 * @module
 */

import { errno, libc } from "./libc.ts";
import { SyscallError } from "./errno.ts";

/** `SIG_IGN` as a handler pointer. */
const SIG_IGN = 1n;
/** `SIG_ERR`, what `signal` returns on failure. */
const SIG_ERR = 0xffff_ffff_ffff_ffffn;

/**
 * Sets the process-wide disposition of `signo` to `SIG_IGN`: the kernel
 * drops the signal when it is sent, whatever handler was installed before.
 * Ignored dispositions are inherited by children across `exec`.
 *
 * @example
 * ```ts
 * import { ignoreSignal } from "./signals.ts";
 * import { SIGPIPE } from "./constants.ts";
 * ignoreSignal(SIGPIPE);
 * ```
 */
export function ignoreSignal(signo: number): void {
  const previous = libc().signal(signo, Deno.UnsafePointer.create(SIG_IGN));
  if (Deno.UnsafePointer.value(previous) === SIG_ERR) {
    throw new SyscallError("signal", errno());
  }
}
