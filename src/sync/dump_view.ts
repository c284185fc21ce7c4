/**
 * What a full link dump says the kernel has, kept while the dump runs.
 * Pure: it takes link notices in arrival order and returns data.
 * @module
 */

import type { LinkEvent } from "../netlink/types.ts";
import { ignoreReason } from "./decide.ts";

/**
 * The port links of one dump: its replies, plus the live messages that
 * arrive after its first reply (the kernel walks its links after the
 * request, so anything changed later is announced after that walk began).
 * Live messages before the first reply may be stale (still queued from
 * before an overflow) and are left out: the dump itself covers them.
 *
 * @example
 * ```ts
 * import type { LinkEvent } from "../netlink/types.ts";
 * declare const seq: number; // of the dump request
 * declare const linkNotices: { event: LinkEvent; seq: number }[];
 * const view = new DumpView(seq);
 * for (const notice of linkNotices) view.note(notice.event, notice.seq);
 * view.links; // the kernel's ports once `dump_done` for `seq` arrived
 * ```
 */
export class DumpView {
  /** The sequence number of the dump request. */
  readonly seq: number;
  /** Port links by name, as the dump and the later messages tell them. */
  readonly links: Map<string, LinkEvent> = new Map();
  /** ifindex → port name, so a rename during the dump drops the old name. */
  readonly #names = new Map<number, string>();
  #started = false;

  /** Starts a view for the dump requested with `seq`. */
  constructor(seq: number) {
    this.seq = seq;
  }

  /** Notes one link message (`seq` as received: 0 for live messages). */
  note(event: LinkEvent, seq: number): void {
    if (seq === this.seq) this.#started = true;
    if (!this.#started) return;
    const previous = this.#names.get(event.ifindex);
    if (previous !== undefined && previous !== event.name) {
      this.links.delete(previous);
      this.#names.delete(event.ifindex);
    }
    if (ignoreReason(event) !== null) return;
    if (event.type === "dellink") {
      this.links.delete(event.name);
      this.#names.delete(event.ifindex);
    } else {
      this.links.set(event.name, event);
      this.#names.set(event.ifindex, event.name);
    }
  }
}

/**
 * The ports whose link differs between two views of the kernel (every
 * field compared), with the new link, or null for a port that is gone.
 *
 * @example
 * ```ts
 * import type { LinkEvent } from "../netlink/types.ts";
 * declare const before: Map<string, LinkEvent>, after: Map<string, LinkEvent>;
 * for (const [port, link] of linkDifferences(before, after)) {
 *   console.log(port, link === null ? "gone" : link.oper);
 * }
 * ```
 */
export function linkDifferences(
  previous: ReadonlyMap<string, LinkEvent>,
  next: ReadonlyMap<string, LinkEvent>,
): [string, LinkEvent | null][] {
  const changed: [string, LinkEvent | null][] = [];
  for (const [port, link] of previous) {
    const now = next.get(port);
    if (now === undefined) changed.push([port, null]);
    else if (!sameLink(now, link)) changed.push([port, now]);
  }
  for (const [port, link] of next) {
    if (!previous.has(port)) changed.push([port, link]);
  }
  return changed;
}

/** True when two messages say the same about a link (every field). */
function sameLink(a: LinkEvent, b: LinkEvent): boolean {
  return a === b || (
    a.type === b.type && a.name === b.name && a.ifindex === b.ifindex &&
    a.flags === b.flags && a.admin === b.admin && a.oper === b.oper &&
    a.mtu === b.mtu && a.master === b.master && a.kind === b.kind &&
    a.operstate === b.operstate && a.address === b.address
  );
}
