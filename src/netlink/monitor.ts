/**
 * `portsyncd --monitor`: print every link message as one JSON line.
 * @module
 */

import { LinkSocket } from "./socket.ts";
import type { LinkEvent } from "./types.ts";

/** Options of {@linkcode runMonitor}. */
export interface MonitorOptions {
  /** Receives each link line (JSON, no newline). Defaults to `console.log`. */
  write?: (line: string) => void;
  /**
   * Receives diagnostic lines (`{"type":"overflow"}`, errors). Defaults to
   * `console.error`.
   */
  writeDiagnostic?: (line: string) => void;
  /** Stops the monitor; `runMonitor` resolves soon after it aborts. */
  signal?: AbortSignal;
  /** Network namespace name or path to monitor instead of the current one. */
  netns?: string;
  /** Kernel receive buffer to ask for (see `LinkSocket.open`). */
  receiveBufferBytes?: number;
}

/**
 * Formats a link event as the monitor's JSON line, with exactly the
 * {@linkcode LinkEvent} fields in their documented order.
 *
 * @example
 * ```ts
 * import { formatLinkEvent } from "./monitor.ts";
 * formatLinkEvent({
 *   type: "newlink", name: "Ethernet0", ifindex: 2, flags: 65, admin: "up",
 *   oper: "up", mtu: 9100, master: null, kind: "veth", operstate: "up",
 *   address: "02:00:00:00:00:01",
 * });
 * ```
 */
export function formatLinkEvent(event: LinkEvent): string {
  return JSON.stringify({
    type: event.type,
    name: event.name,
    ifindex: event.ifindex,
    flags: event.flags,
    admin: event.admin,
    oper: event.oper,
    mtu: event.mtu,
    master: event.master,
    kind: event.kind,
    operstate: event.operstate,
    address: event.address,
  });
}

/**
 * Opens the link socket, dumps all links, then prints live link events until
 * `signal` aborts. After an overflow it prints `{"type":"overflow"}` to the
 * diagnostic writer and dumps again (once the running dump, if any, ends).
 *
 * @example
 * ```ts
 * import { runMonitor } from "./monitor.ts";
 * const controller = new AbortController();
 * Deno.addSignalListener("SIGINT", () => controller.abort());
 * await runMonitor({ signal: controller.signal });
 * ```
 */
export async function runMonitor(options: MonitorOptions = {}): Promise<void> {
  const write = options.write ?? ((line: string) => console.log(line));
  const writeDiagnostic = options.writeDiagnostic ??
    ((line: string) => console.error(line));
  const socket = LinkSocket.open({
    netns: options.netns,
    receiveBufferBytes: options.receiveBufferBytes,
  });
  try {
    let dumpSeq: number | null = socket.requestDump();
    let redumpWanted = false;
    while (!options.signal?.aborted) {
      const notices = await socket.receive({ signal: options.signal });
      for (const notice of notices) {
        if (notice.kind === "link") {
          write(formatLinkEvent(notice.event));
        } else if (notice.kind === "overflow") {
          writeDiagnostic(JSON.stringify({ type: "overflow" }));
          redumpWanted = true;
        } else if (notice.kind === "dump_done" && notice.seq === dumpSeq) {
          dumpSeq = null;
        } else if (notice.kind === "error") {
          writeDiagnostic(JSON.stringify({ type: "error", ...notice }));
          if (notice.seq === dumpSeq) {
            dumpSeq = null;
            redumpWanted = true;
          }
        }
      }
      if (redumpWanted && dumpSeq === null && !socket.closed) {
        redumpWanted = false;
        dumpSeq = socket.requestDump();
      }
    }
  } finally {
    socket.close();
  }
}
