/**
 * The plain data the netlink layer hands to the rest of portsyncd.
 * Everything above `src/netlink/` sees links only through these types.
 * @module
 */

/** Administrative or operational state of a link, as SONiC writes it. */
export type LinkState = "up" | "down";

/** One decoded RTM_NEWLINK or RTM_DELLINK message (dump replies are newlink). */
export interface LinkEvent {
  /** `newlink` for RTM_NEWLINK (and dump replies), `dellink` for RTM_DELLINK. */
  type: "newlink" | "dellink";
  /** IFLA_IFNAME, e.g. `Ethernet0`. */
  name: string;
  /** ifi_index. */
  ifindex: number;
  /** ifi_flags (IFF_*), unsigned. */
  flags: number;
  /** `up` when IFF_UP (0x1) is set. */
  admin: LinkState;
  /** `up` when IFF_RUNNING (0x40) is set. */
  oper: LinkState;
  /** IFLA_MTU, or null when absent. */
  mtu: number | null;
  /** IFLA_MASTER ifindex, or null when absent. */
  master: number | null;
  /** IFLA_LINKINFO / IFLA_INFO_KIND (e.g. `veth`, `team`), or null when absent. */
  kind: string | null;
  /** IFLA_OPERSTATE as RFC 2863 name (`up`, `down`, `lowerlayerdown`, `unknown`, ...), or null. */
  operstate: string | null;
  /** IFLA_ADDRESS as `aa:bb:cc:dd:ee:ff`, or null when absent. */
  address: string | null;
}

/** What one receive from the link socket can report, in arrival order. */
export type NetlinkNotice =
  | { kind: "link"; event: LinkEvent; seq: number }
  | { kind: "dump_done"; seq: number }
  | { kind: "overflow" }
  | { kind: "error"; seq: number; errno: number; name: string };
