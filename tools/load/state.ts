/**
 * The correctness check of the load harness: every port's STATE_DB
 * `PORT_TABLE|<port>` against the kernel's link as `ip -j link show` reports
 * it (admin state, oper state, MTU).
 * @module
 */

import type { Database, Fields } from "../../src/store/types.ts";
import type { Netns } from "../../tests/helpers/netns.ts";

/** How STATE_DB compared with the kernel. */
export interface StateComparison {
  /** True when every Ethernet port's fields matched. */
  equal: boolean;
  /** Ethernet ports the kernel has. */
  ports: number;
  /** Ports that differ. */
  mismatched: number;
  /** The first few differences, `port.field: kernel X, STATE_DB Y`. */
  mismatches: string[];
}

interface IpLink {
  ifname: string;
  flags: string[];
  mtu: number;
  operstate: string;
}

/**
 * The STATE_DB fields the daemon owns, as the kernel says they must be, for
 * every `Ethernet*` link of `ns`. `ip` hides IFF_RUNNING; the kernel sets it
 * for an up device whose operstate is up or unknown.
 *
 * @example
 * ```ts ignore
 * const kernel = await kernelPorts(ns);
 * kernel.get("Ethernet0"); // { state: "ok", admin_status: "up", ... }
 * ```
 */
export async function kernelPorts(ns: Netns): Promise<Map<string, Fields>> {
  const links = JSON.parse(await ns.ip("-j", "link", "show")) as IpLink[];
  const ports = new Map<string, Fields>();
  for (const link of links) {
    if (!link.ifname.startsWith("Ethernet")) continue;
    const admin = link.flags.includes("UP");
    const running = admin &&
      (link.operstate === "UP" || link.operstate === "UNKNOWN");
    ports.set(link.ifname, {
      state: "ok",
      admin_status: admin ? "up" : "down",
      netdev_oper_status: running ? "up" : "down",
      mtu: String(link.mtu),
    });
  }
  return ports;
}

/**
 * Compares STATE_DB with the kernel for every Ethernet port (the reads go
 * out together, so the check costs about one round trip).
 *
 * @example
 * ```ts ignore
 * const result = await compareState(ns, store.db("STATE_DB"));
 * if (!result.equal) console.error(result.mismatches.join("\n"));
 * ```
 */
export async function compareState(
  ns: Netns,
  state: Database,
): Promise<StateComparison> {
  return compareWith(await kernelPorts(ns), state);
}

/**
 * Compares STATE_DB with a kernel state read before (by
 * {@linkcode kernelPorts}): cheaper when the kernel no longer changes.
 *
 * @example
 * ```ts ignore
 * const kernel = await kernelPorts(ns);
 * const result = await compareWith(kernel, store.db("STATE_DB"));
 * ```
 */
export async function compareWith(
  kernel: Map<string, Fields>,
  state: Database,
): Promise<StateComparison> {
  const names = [...kernel.keys()];
  const hashes = await Promise.all(
    names.map((name) => state.hgetall(`PORT_TABLE|${name}`)),
  );
  const mismatches: string[] = [];
  let mismatched = 0;
  for (const [index, name] of names.entries()) {
    const have = hashes[index];
    let differs = false;
    for (const [field, value] of Object.entries(kernel.get(name)!)) {
      if (have[field] === value) continue;
      differs = true;
      if (mismatches.length < 10) {
        mismatches.push(
          `${name}.${field}: kernel ${value}, STATE_DB ${
            have[field] ?? "(none)"
          }`,
        );
      }
    }
    if (differs) mismatched++;
  }
  return {
    equal: mismatched === 0 && names.length > 0,
    ports: names.length,
    mismatched,
    mismatches,
  };
}
