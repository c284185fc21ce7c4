/**
 * The last known state of each port, as the warm-restart state file keeps
 * it, and the comparison of a saved state with the kernel's after a warm
 * start. Pure.
 * @module
 */

import type { LinkEvent, LinkState } from "../netlink/types.ts";

/** One port's saved state. */
export interface SavedPort {
  /** Port name, e.g. `Ethernet0`. */
  name: string;
  /** Administrative state (IFF_UP). */
  admin: LinkState;
  /** Operational state (IFF_RUNNING). */
  oper: LinkState;
  /** MTU, or null when the kernel did not report one. */
  mtu: number | null;
  /** Kernel ifindex (a re-created link has a new one). */
  ifindex: number;
}

/**
 * The saved form of the kernel's ports, sorted by name.
 *
 * @example
 * ```ts
 * import { portsFromLinks } from "./port_state.ts";
 * import type { LinkEvent } from "../netlink/types.ts";
 * declare const links: ReadonlyMap<string, LinkEvent>;
 * const saved = portsFromLinks(links); // [{ name: "Ethernet0", admin: "up", ... }]
 * ```
 */
export function portsFromLinks(
  links: ReadonlyMap<string, LinkEvent>,
): SavedPort[] {
  const ports: SavedPort[] = [];
  for (const [name, link] of links) {
    ports.push({
      name,
      admin: link.admin,
      oper: link.oper,
      mtu: link.mtu,
      ifindex: link.ifindex,
    });
  }
  return ports.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** The outcome of {@linkcode compareSaved}. */
export interface Recovery {
  /** Saved ports compared (all of them). */
  compared: number;
  /** Saved ports the kernel has with the same admin, oper, mtu and ifindex. */
  matched: number;
  /** Names of the saved ports that differ or are gone, sorted. */
  changed: string[];
}

/**
 * Compares the saved ports with the kernel's: a saved port is recovered
 * when the kernel has it with the same admin, oper, mtu and ifindex.
 * Ports the kernel has that were not saved are not counted.
 *
 * @example
 * ```ts
 * import { compareSaved, type SavedPort } from "./port_state.ts";
 * import type { LinkEvent } from "../netlink/types.ts";
 * declare const saved: SavedPort[];
 * declare const links: ReadonlyMap<string, LinkEvent>;
 * const { compared, matched } = compareSaved(saved, links);
 * ```
 */
export function compareSaved(
  saved: readonly SavedPort[],
  links: ReadonlyMap<string, LinkEvent>,
): Recovery {
  const changed: string[] = [];
  for (const port of saved) {
    const link = links.get(port.name);
    const same = link !== undefined && link.admin === port.admin &&
      link.oper === port.oper && link.mtu === port.mtu &&
      link.ifindex === port.ifindex;
    if (!same) changed.push(port.name);
  }
  return {
    compared: saved.length,
    matched: saved.length - changed.length,
    changed: changed.sort(),
  };
}
