/**
 * Ports for tools and tests that build a switch in a namespace: veth pairs
 * `Ethernet0`/`Ethernet4`, `Ethernet8`/`Ethernet12`, ... and their CONFIG_DB
 * `PORT|<name>` entries.
 * @module
 */

import type { Database } from "../../src/store/types.ts";
import { kernelState } from "../sync/rig.ts";
import type { Netns } from "./netns.ts";

/**
 * Creates `ports` (an even number of names) as veth pairs in `ns`, one
 * `ip -batch`, and writes each one's CONFIG_DB `PORT|<name>` entry (`lanes`
 * = 4 × its index, `speed` 100000) to `config`.
 *
 * @example
 * ```ts ignore
 * await addPorts(ns, ["Ethernet0", "Ethernet4"], { config: store.db("CONFIG_DB") });
 * ```
 */
export async function addPorts(
  ns: Netns,
  ports: readonly string[],
  options: { config: Database },
): Promise<void> {
  const pairs: string[] = [];
  for (let i = 0; i < ports.length; i += 2) {
    pairs.push(`link add ${ports[i]} type veth peer name ${ports[i + 1]}`);
  }
  await ns.ipBatch(pairs);
  await Promise.all(
    ports.map((port, index) =>
      options.config.hset(`PORT|${port}`, {
        lanes: String(index * 4),
        speed: "100000",
      })
    ),
  );
}

/**
 * True when every Ethernet link of `ns` has its kernel state (the owned
 * fields) in STATE_DB `PORT_TABLE|<port>` of `state`.
 *
 * @example
 * ```ts ignore
 * await waitFor("converged", () => stateMatchesKernel(ns, store.db("STATE_DB")));
 * ```
 */
export async function stateMatchesKernel(
  ns: Netns,
  state: Database,
): Promise<boolean> {
  for (const [port, want] of await kernelState(ns.name)) {
    const have = await state.hgetall(`PORT_TABLE|${port}`);
    for (const [field, value] of Object.entries(want)) {
      if (have[field] !== value) return false;
    }
  }
  return true;
}
