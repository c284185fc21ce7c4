/**
 * Reading a {@linkcode LinkSocket} until a condition holds, with an overall
 * deadline (integration tests never sleep to time events).
 * @module
 */

import type { LinkSocket, NetlinkNotice } from "../../src/netlink/mod.ts";

/** Options of {@linkcode receiveUntil}. */
export interface ReceiveUntilOptions {
  /** Overall deadline in milliseconds; defaults to 15000. */
  timeoutMs?: number;
}

/**
 * Receives notices until `done(all notices so far)` is true and returns them
 * all; rejects with the notices seen when the deadline passes.
 */
export async function receiveUntil(
  socket: LinkSocket,
  done: (notices: readonly NetlinkNotice[]) => boolean,
  options: ReceiveUntilOptions = {},
): Promise<NetlinkNotice[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  const seen: NetlinkNotice[] = [];
  while (!done(seen)) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new Error(
        `condition not met within the deadline; last notices: ${
          JSON.stringify(seen.slice(-20))
        }`,
      );
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), remaining);
    try {
      seen.push(...await socket.receive({ signal: controller.signal }));
    } finally {
      clearTimeout(timer);
    }
  }
  return seen;
}

/** The link events among `notices`, optionally only those for `name`. */
export function linkEvents(
  notices: readonly NetlinkNotice[],
  name?: string,
): import("../../src/netlink/mod.ts").LinkEvent[] {
  const events = [];
  for (const notice of notices) {
    if (notice.kind !== "link") continue;
    if (name === undefined || notice.event.name === name) {
      events.push(notice.event);
    }
  }
  return events;
}
