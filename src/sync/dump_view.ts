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
