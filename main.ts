/**
 * portsyncd: keeps SONiC's APPL_DB and STATE_DB true to the kernel's ports.
 *
 * ```sh
 * portsyncd [--config FILE] [--db-config FILE] [--store redis|memory]
 *           [--log-level LEVEL] [--check-config] [--monitor] [--status [--json]]
 *           [--version] [--help]
 * ```
 *
 * Exit codes: 0 success, 1 configuration or runtime failure, 2 usage error.
 *
 * The signal handling is installed before the rest of the program is even
 * loaded (it is imported dynamically below), so that SIGTERM works from the
 * first moment and SIGUSR1 never reaches Deno's inspector trigger.
 * @module
 */

import { installProcessSignals } from "./src/daemon/signals.ts";
import { permissionProblem } from "./src/cli/permission.ts";

/** Prints a missing permission as one line and exits 1; anything else is rethrown. */
function exitOnPermission(error: unknown): void {
  const line = permissionProblem(error);
  if (line === null) throw error;
  console.error(line);
  Deno.exit(1);
}

if (import.meta.main) {
  globalThis.addEventListener("unhandledrejection", (event) => {
    if (permissionProblem(event.reason) === null) return;
    event.preventDefault();
    exitOnPermission(event.reason);
  });
  try {
    const signals = installProcessSignals();
    const { main } = await import("./src/cli/main.ts");
    Deno.exit(await main(Deno.args, { signals }));
  } catch (error) {
    exitOnPermission(error);
  }
}
