/**
 * Notices when the watched network namespace goes away under the daemon:
 * deleted (`ip netns del`), or replaced by a new namespace of the same name.
 * The link socket keeps the old namespace alive, so nothing on it would ever
 * say so; a cheap periodic `statx` of the namespace file does.
 * @module
 */

import {
  currentNetns,
  type FileIdentity,
  sameNetns,
} from "../netlink/netns.ts";

/** How often the namespace file is checked by default, in ms. */
export const NETNS_WATCH_INTERVAL_MS = 1000;

/** What happened to the namespace. */
export type NetnsChange =
  | { kind: "deleted" }
  | { kind: "replaced"; now: FileIdentity };

/** Options of {@linkcode watchNetns}. */
export interface NetnsWatchOptions {
  /** Called once, on the first change seen; the watch then stops. */
  onChange(change: NetnsChange): void;
  /** Check period in ms (default 1000). */
  intervalMs?: number;
  /** Reads the identity at a path, null when absent (default: `statx`). */
  stat?: (path: string) => FileIdentity | null;
}

/** A running watch. */
export interface NetnsWatch {
  /** Stops checking; idempotent. */
  stop(): void;
}

/**
 * Checks every `intervalMs` that `path` still is the namespace `identity`
 * names, and reports the first difference.
 *
 * @example
 * ```ts
 * import { watchNetns } from "./netns_watch.ts";
 * import type { LinkSocket } from "../netlink/socket.ts";
 * declare const socket: LinkSocket; // opened in /run/netns/asic0
 * const fatal = new AbortController();
 * const watch = watchNetns("/run/netns/asic0", socket.netns, {
 *   onChange: (change) => fatal.abort(change.kind),
 * });
 * watch.stop();
 * ```
 */
export function watchNetns(
  path: string,
  identity: FileIdentity,
  options: NetnsWatchOptions,
): NetnsWatch {
  const stat = options.stat ?? currentNetns;
  const timer = setInterval(() => {
    const now = stat(path);
    if (now !== null && sameNetns(now, identity)) return;
    clearInterval(timer);
    options.onChange(
      now === null ? { kind: "deleted" } : {
        kind: "replaced",
        now,
      },
    );
  }, options.intervalMs ?? NETNS_WATCH_INTERVAL_MS);
  return {
    stop: () => clearInterval(timer),
  };
}

/**
 * The one error line for a change, naming the namespace and its file.
 *
 * @example
 * ```ts
 * import { describeNetnsChange } from "./netns_watch.ts";
 * describeNetnsChange({ kind: "deleted" }, { namespace: "asic0", path: "/run/netns/asic0" });
 * // "network namespace asic0 (/run/netns/asic0) was deleted; exiting so that the service manager restarts portsyncd"
 * ```
 */
export function describeNetnsChange(
  change: NetnsChange,
  where: { namespace: string; path: string },
): string {
  const what = change.kind === "deleted"
    ? "was deleted"
    : `was replaced by another namespace (now ${change.now.dev}:${change.now.ino})`;
  return `network namespace ${where.namespace} (${where.path}) ${what}; ` +
    "exiting so that the service manager restarts portsyncd";
}
