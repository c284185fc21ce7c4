/**
 * The one list of Deno permissions portsyncd runs with, used by the
 * `deno task start`, the systemd unit file, `deno compile` and the tests
 * (never `--allow-all`).
 *
 * Why each flag:
 * - `--allow-ffi`: netlink sockets, setns, flock, statx and the systemd
 *   notify socket all go through libc (`ffi/libc.ts`, `dlopen("libc.so.6")`).
 *   Unscoped: Deno resolves a scoped `--allow-ffi=libc.so.6` against the
 *   working directory, so the by-name dlopen fails; and FFI code can reach
 *   anything anyway, which is why the hardening is in the unit file too.
 * - `--allow-read`/`--allow-write`: the config file (`/etc/sonic`, read
 *   only) and database_config.json (`/var/run/redis/sonic-db`), Redis's
 *   unix socket (a unix
 *   socket connect needs read and write on its path), the lock dir
 *   (`/run/portsyncd`), the warm-restart state dir
 *   (`/var/lib/sonic/portsyncd`) and the namespaces (`/run/netns`, read
 *   only, watched for deletion) and `/tmp` (read only: `--check-config` of a
 *   candidate file before it replaces the live one; under the unit's
 *   `PrivateTmp=yes` the daemon's /tmp is empty). `/var/run` is a symlink to `/run` on
 *   Debian, and Deno checks the path as written, so both spellings are
 *   listed. Paths that come from a non-default config are added with
 *   `readWrite`.
 * - `--allow-net`: the metrics listener, Redis over TCP and Alertmanager,
 *   whose hosts and ports come from the config; unscoped for that reason.
 * - `--allow-env=…`: only the variables it reads (systemd's notify and
 *   watchdog variables, and the colour switches the CLI library checks).
 * - `--allow-sys=hostname`: the `instance` label of alerts
 *   (`Deno.hostname()`); `Deno.memoryUsage()` needs no permission.
 * @module
 */

/** Directories of a SONiC switch that portsyncd reads and writes. */
export const SONIC_READ_WRITE_PATHS: readonly string[] = [
  "/run/redis",
  "/var/run/redis",
  "/run/portsyncd",
  "/var/run/portsyncd",
  "/var/lib/sonic/portsyncd",
];

/** Directories of a SONiC switch that portsyncd only reads. */
export const SONIC_READ_PATHS: readonly string[] = [
  "/etc/sonic",
  "/run/netns",
  "/var/run/netns",
  "/tmp",
];

/** Environment variables portsyncd (or a library it uses) reads. */
export const ENV_VARIABLES: readonly string[] = [
  "NOTIFY_SOCKET",
  "WATCHDOG_USEC",
  "WATCHDOG_PID",
  "NO_COLOR",
  "FORCE_COLOR",
  "CLICOLOR_FORCE",
];

/** Options of {@linkcode permissionFlags}. */
export interface PermissionOptions {
  /** More paths to allow reading and writing (a temp config, state dir…). */
  readWrite?: readonly string[];
  /** Leave out the SONiC default paths (tests that use only temp dirs). */
  noDefaults?: boolean;
}

/**
 * The `deno run`/`deno compile` permission flags portsyncd needs: the SONiC
 * paths plus `readWrite`.
 *
 * @example
 * ```ts
 * import { permissionFlags } from "./permissions.ts";
 * const flags = permissionFlags({ readWrite: ["/tmp/portsyncd-test"] });
 * flags.includes("--allow-net"); // true
 * ```
 */
export function permissionFlags(options: PermissionOptions = {}): string[] {
  const extra = options.readWrite ?? [];
  for (const path of extra) {
    if (path === "" || path.includes(",")) {
      throw new Error(`permissionFlags: unusable path ${JSON.stringify(path)}`);
    }
  }
  const readWrite = options.noDefaults
    ? [...extra]
    : [...SONIC_READ_WRITE_PATHS, ...extra];
  const read = options.noDefaults
    ? [...readWrite]
    : [...readWrite, ...SONIC_READ_PATHS];
  const flags = ["--allow-ffi"];
  if (read.length > 0) flags.push(`--allow-read=${read.join(",")}`);
  if (readWrite.length > 0) flags.push(`--allow-write=${readWrite.join(",")}`);
  flags.push(
    "--allow-net",
    `--allow-env=${ENV_VARIABLES.join(",")}`,
    "--allow-sys=hostname",
  );
  return flags;
}
