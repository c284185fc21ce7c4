/**
 * Builders of `LinkEvent`s for the sync tests.
 * @module
 */

import type { LinkEvent } from "../../src/netlink/types.ts";

/** Options of {@linkcode link}: what differs from an up, running port. */
export interface LinkOptions {
  /** Message type, `newlink` by default. */
  type?: "newlink" | "dellink";
  /** IFF_UP. */
  admin?: "up" | "down";
  /** IFF_RUNNING. */
  oper?: "up" | "down";
  /** IFLA_MTU, 9100 by default. */
  mtu?: number;
  /** IFLA_MASTER. */
  master?: number | null;
  /** IFLA_INFO_KIND, `veth` by default. */
  kind?: string | null;
  /** ifindex, derived from the name by default. */
  ifindex?: number;
}

/** A link event for `name` with the given differences. */
export function link(name: string, options: LinkOptions = {}): LinkEvent {
  const admin = options.admin ?? "up";
  const oper = options.oper ?? admin;
  const flags = (admin === "up" ? 0x1 : 0) | (oper === "up" ? 0x40 : 0) |
    0x1000;
  const digits = Number.parseInt(name.replace(/\D/g, ""), 10);
  return {
    type: options.type ?? "newlink",
    name,
    ifindex: options.ifindex ?? (Number.isNaN(digits) ? 1 : digits + 100),
    flags,
    admin,
    oper,
    mtu: options.mtu ?? 9100,
    master: options.master ?? null,
    kind: options.kind === undefined ? "veth" : options.kind,
    operstate: oper === "up" ? "up" : "down",
    address: "02:00:00:00:00:01",
  };
}
