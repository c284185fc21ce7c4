/**
 * The pure core of port sync: which STATE_DB writes follow from which link
 * messages. Nothing here does I/O; the loop in `port_sync.ts` fetches what
 * the decisions need (is the port in APPL_DB?) and performs the writes.
 *
 * The filters read top to bottom in the order SONiC's linksync applies them
 * (sonic_port_sync.md §3).
 * @module
 */

import type { LinkEvent } from "../netlink/types.ts";
import type { Fields } from "../store/types.ts";

/** Only links whose name starts with this are ports. */
export const PORT_PREFIX = "Ethernet";

/** What a drained batch of link messages means for one port. */
export interface PortChange {
  /** Port name, e.g. `Ethernet0`. */
  port: string;
  /** A DELLINK arrived: delete the STATE_DB hash first. */
  deleted: boolean;
  /** The last NEWLINK after any DELLINK, or null when the port ended deleted. */
  link: LinkEvent | null;
}

/** Why a link message leads to no write. */
export type IgnoreReason = "not_a_port" | "team" | "dellink_with_master";

/**
 * Returns why a link message is ignored, or null when it concerns a port.
 *
 * @example
 * ```ts
 * import type { LinkEvent } from "../netlink/types.ts";
 * declare const event: LinkEvent;
 * ignoreReason({ ...event, name: "eth0" }); // "not_a_port"
 * ```
 */
export function ignoreReason(event: LinkEvent): IgnoreReason | null {
  if (!event.name.startsWith(PORT_PREFIX)) return "not_a_port";
  if (event.kind === "team") return "team";
  if (event.type === "dellink" && event.master !== null) {
    return "dellink_with_master";
  }
  return null;
}

/**
 * Folds link messages, in arrival order, into one change per port: the last
 * state wins, and a DELLINK is never lost (a DELLINK followed by a NEWLINK
 * deletes, then writes the new state). Ignored messages are dropped
 * (`onIgnored` hears of each, with the reason).
 *
 * @example
 * ```ts
 * import type { LinkEvent } from "../netlink/types.ts";
 * declare const up: LinkEvent, down: LinkEvent; // both for Ethernet0
 * const changes = coalesce([up, down, up]); // one change: the last `up`
 * ```
 */
export function coalesce(
  events: Iterable<LinkEvent>,
  options: { onIgnored?: (event: LinkEvent, reason: IgnoreReason) => void } =
    {},
): Map<string, PortChange> {
  const changes = new Map<string, PortChange>();
  for (const event of events) {
    const reason = ignoreReason(event);
    if (reason !== null) {
      options.onIgnored?.(event, reason);
      continue;
    }
    let change = changes.get(event.name);
    if (change === undefined) {
      change = { port: event.name, deleted: false, link: null };
      changes.set(event.name, change);
    }
    if (event.type === "dellink") {
      change.deleted = true;
      change.link = null;
    } else {
      change.link = event;
    }
  }
  return changes;
}

/**
 * Turns renames into deletes: when a link message names an ifindex that
 * `names` knows under another port name (`ip link set Ethernet0 name X`), a
 * DELLINK for the old name is put before it, so the old port's STATE_DB
 * hash goes. `names` (ifindex → port name) is updated in place as the
 * messages are read; only port names are kept in it.
 *
 * @example
 * ```ts
 * import type { LinkEvent } from "../netlink/types.ts";
 * declare const link: LinkEvent; // a newlink
 * const names = new Map([[7, "Ethernet0"]]);
 * followRenames([{ ...link, ifindex: 7, name: "Ethernet99" }], names);
 * // [dellink Ethernet0, newlink Ethernet99]
 * ```
 */
export function followRenames(
  events: LinkEvent[],
  names: Map<number, string>,
): LinkEvent[] {
  let result: LinkEvent[] | null = null;
  for (let index = 0; index < events.length; index++) {
    const event = events[index];
    const known = names.get(event.ifindex);
    if (known !== undefined && known !== event.name) {
      result ??= events.slice(0, index);
      result.push({ ...event, type: "dellink", name: known, master: null });
    }
    if (result !== null) result.push(event);
    if (event.type === "dellink" || !event.name.startsWith(PORT_PREFIX)) {
      if (known !== undefined) names.delete(event.ifindex);
    } else if (known !== event.name) {
      names.set(event.ifindex, event.name);
    }
  }
  return result ?? events;
}

/**
 * The STATE_DB fields portsyncd owns for a link: `state`,
 * `netdev_oper_status`, `admin_status` and `mtu`.
 *
 * @example
 * ```ts
 * import type { LinkEvent } from "../netlink/types.ts";
 * declare const link: LinkEvent; // up and running, MTU 9100
 * stateFields(link); // { state: "ok", netdev_oper_status: "up", admin_status: "up", mtu: "9100" }
 * ```
 */
export function stateFields(link: LinkEvent): Fields {
  return {
    state: "ok",
    netdev_oper_status: link.oper,
    admin_status: link.admin,
    mtu: String(link.mtu ?? 0),
  };
}

/** True when every field of `wanted` already has that value in `current`. */
export function fieldsMatch(
  wanted: Fields,
  current: Fields | undefined,
): boolean {
  if (current === undefined) return false;
  for (const field in wanted) {
    if (!Object.hasOwn(wanted, field)) continue;
    if (current[field] !== wanted[field]) return false;
  }
  return true;
}

/** One write to STATE_DB `PORT_TABLE|<port>`. */
export type StateWrite =
  | { kind: "del"; port: string }
  | { kind: "hset"; port: string; fields: Fields };

/** The writes a batch of changes leads to. */
export interface Plan {
  /** Writes, in order (a port's DEL precedes its HSET). */
  writes: StateWrite[];
  /** Ports with a NEWLINK that are not in APPL_DB: nothing written for them. */
  notInAppl: string[];
  /** Ports named by a message and present in APPL_DB (they count as seen). */
  seen: string[];
}

/** What the plan needs to know beyond the changes. */
export interface PlanContext {
  /** Ports whose APPL_DB `PORT_TABLE:<port>` exists. */
  inAppl: ReadonlySet<string>;
  /** What portsyncd last wrote (or read) per port; absent means unknown. */
  written: ReadonlyMap<string, Fields>;
}

/**
 * Plans the STATE_DB writes for coalesced changes: DEL for a DELLINK, HSET
 * of the owned fields for a NEWLINK of a port in APPL_DB unless STATE_DB
 * already holds exactly those values.
 *
 * @example
 * ```ts
 * import type { LinkEvent } from "../netlink/types.ts";
 * import type { Fields } from "../store/types.ts";
 * declare const events: LinkEvent[];
 * declare const inAppl: Set<string>, written: Map<string, Fields>;
 * const plan = planWrites(coalesce(events).values(), { inAppl, written });
 * ```
 */
export function planWrites(
  changes: Iterable<PortChange>,
  context: PlanContext,
): Plan {
  const plan: Plan = { writes: [], notInAppl: [], seen: [] };
  for (const change of changes) {
    if (context.inAppl.has(change.port)) plan.seen.push(change.port);
    if (change.deleted) plan.writes.push({ kind: "del", port: change.port });
    if (change.link === null) continue;
    if (!context.inAppl.has(change.port)) {
      plan.notInAppl.push(change.port);
      continue;
    }
    const fields = stateFields(change.link);
    const known = change.deleted ? undefined : context.written.get(change.port);
    if (!fieldsMatch(fields, known)) {
      plan.writes.push({ kind: "hset", port: change.port, fields });
    }
  }
  return plan;
}

/** What a reconcile compares: the kernel's links and STATE_DB's hashes. */
export interface ReconcileInput {
  /** Every port link the kernel has now (after a complete dump). */
  links: ReadonlyMap<string, LinkEvent>;
  /** Ports whose APPL_DB entry exists. */
  inAppl: ReadonlySet<string>;
  /** STATE_DB `PORT_TABLE|<port>` hashes as read now, by port. */
  state: ReadonlyMap<string, Fields>;
}

/**
 * Plans the writes that make STATE_DB equal to the kernel: HSET where a
 * port's fields differ or are missing, DEL for ports the kernel no longer
 * has whose hash carries portsyncd's `state` field (a hash without it was
 * written by another daemon, for a port with no netdev yet: left alone).
 *
 * @example
 * ```ts
 * import type { LinkEvent } from "../netlink/types.ts";
 * import type { Fields } from "../store/types.ts";
 * declare const links: Map<string, LinkEvent>, inAppl: Set<string>;
 * declare const state: Map<string, Fields>;
 * const writes = planReconcile({ links, inAppl, state });
 * ```
 */
export function planReconcile(input: ReconcileInput): StateWrite[] {
  const writes: StateWrite[] = [];
  for (const [port, fields] of input.state) {
    if (!input.links.has(port) && fields.state !== undefined) {
      writes.push({ kind: "del", port });
    }
  }
  for (const [port, link] of input.links) {
    if (!input.inAppl.has(port)) continue;
    const fields = stateFields(link);
    if (!fieldsMatch(fields, input.state.get(port))) {
      writes.push({ kind: "hset", port, fields });
    }
  }
  return writes;
}

/**
 * CONFIG_DB field names are cut at the first `@` (list fields such as
 * `lanes@` in older configs) before they are published to APPL_DB.
 *
 * @example
 * ```ts
 * configFieldsForAppl({ "lanes@": "0,1", speed: "100000" }); // { lanes: "0,1", speed: "100000" }
 * ```
 */
export function configFieldsForAppl(fields: Fields): Fields {
  const result: Fields = {};
  for (const name in fields) {
    if (!Object.hasOwn(fields, name)) continue;
    const at = name.indexOf("@");
    result[at < 0 ? name : name.slice(0, at)] = fields[name];
  }
  return result;
}
