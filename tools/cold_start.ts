/**
 * Load script: a cold start of port sync with many ports, phase by phase,
 * on the memory store or a throw-away redis-server (unix socket).
 *
 * 1. CONFIG_DB holds `--ports` `PORT|EthernetN` entries (written before the
 *    clock starts, as the switch's config would be).
 * 2. `PortSync.start()`: warm-start check, dump request, CONFIG_DB read
 *    and the ProducerStateTable publish to APPL_DB (PortConfigDone). Then
 *    orchagent's part, off portsyncd's clock: an independent consumer
 *    (`tests/helpers/consumer.ts`) pops the queue, creating every
 *    `PORT_TABLE:<port>` (so the dump finds every port in APPL_DB).
 * 3. The kernel's dump: `--ports` RTM_NEWLINK messages of about the size
 *    the kernel sends (~1.5 KiB: the port's attributes and an opaque
 *    IFLA_STATS64-sized padding), encoded beforehand into `--datagram`-byte
 *    datagrams, decoded with `decodeNotices` and handled `--per-receive`
 *    datagrams at a time (default 4,096, what one `LinkSocket.receive()`
 *    drains at most: during a dump each read makes the kernel fill the next
 *    datagram, so the drain takes the dump in a few batches).
 * 4. NLMSG_DONE in a datagram of its own: the reconcile of STATE_DB (and
 *    PortInitDone, every configured port being in the dump).
 *
 * ```sh
 * deno run -A tools/cold_start.ts --ports 100000 --store memory
 * deno run -A tools/cold_start.ts --ports 100000 --store redis
 * ```
 *
 * Prints one Markdown row: store, ports, start (CONFIG_DB → APPL_DB),
 * dump (decode + handle), reconcile, portsyncd's total (without the
 * consumer), the consumer's time, and what was written.
 * @module
 */

import { parseDbConfig } from "../src/config/db_config.ts";
import { BUILTIN_DB_CONFIG } from "../src/config/settings.ts";
import { createLogger } from "../src/log/mod.ts";
import {
  concatMessages,
  decodeNotices,
  encodeLinkMessage,
  encodeMessage,
  NLM_F_MULTI,
  NLMSG_DONE,
} from "../src/netlink/mod.ts";
import { MemoryStore } from "../src/store/memory_store.ts";
import { RedisStore } from "../src/store/redis_store.ts";
import type { Store, StoreOp } from "../src/store/types.ts";
import { PortSync } from "../src/sync/port_sync.ts";
import { TestConsumer } from "../tests/helpers/consumer.ts";
import { startRedis } from "../tests/helpers/redis_server.ts";

function option(name: string, fallback: string): string {
  const index = Deno.args.indexOf(`--${name}`);
  return index >= 0 && index + 1 < Deno.args.length
    ? Deno.args[index + 1]
    : fallback;
}

const ports = Number(option("ports", "100000"));
const kind = option("store", "memory");
const datagramBytes = Number(option("datagram", "32768"));
const perReceive = Number(option("per-receive", "4096"));
if (
  !Number.isInteger(ports) || ports < 1 || (kind !== "memory" &&
    kind !== "redis") ||
  !(datagramBytes >= 2048)
) {
  console.error(
    "cold_start: --ports N (>= 1), --store memory|redis, --datagram BYTES (>= 2048)",
  );
  Deno.exit(2);
}

const DUMP_SEQ = 7;
/** IFLA_STATS64: carried by every real RTM_NEWLINK, skipped by the decoder. */
const IFLA_STATS64 = 23;
const PADDING = 1200;
const NAMES = Array.from({ length: ports }, (_, i) => `Ethernet${i * 4}`);

/** One dump reply as the kernel would send it for port `i`. */
function dumpReply(i: number): Uint8Array {
  const message = encodeLinkMessage({
    name: NAMES[i],
    ifindex: 100 + i,
    admin: "up",
    oper: i % 3 === 0 ? "down" : "up",
    mtu: 9100,
    operstate: i % 3 === 0 ? "down" : "up",
    address: `02:00:${hex(i >>> 24)}:${hex(i >>> 16)}:${hex(i >>> 8)}:${
      hex(i)
    }`,
    kind: "veth",
  }, { seq: DUMP_SEQ, messageFlags: NLM_F_MULTI });
  // Append an opaque attribute of a real message's size; fix nlmsg_len.
  const length = message.length + 4 + PADDING;
  const out = new Uint8Array(length);
  out.set(message);
  const view = new DataView(out.buffer);
  view.setUint16(message.length, 4 + PADDING, true);
  view.setUint16(message.length + 2, IFLA_STATS64, true);
  view.setUint32(0, length, true);
  return out;
}

function hex(byte: number): string {
  return (byte & 0xff).toString(16).padStart(2, "0");
}

/** The dump in datagrams of at most `datagramBytes`, then NLMSG_DONE alone. */
function dumpDatagrams(): Uint8Array[] {
  const datagrams: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  let size = 0;
  for (let i = 0; i < ports; i++) {
    const reply = dumpReply(i);
    if (size + reply.length > datagramBytes && pending.length > 0) {
      datagrams.push(concatMessages(pending));
      pending = [];
      size = 0;
    }
    pending.push(reply);
    size += reply.length;
  }
  if (pending.length > 0) datagrams.push(concatMessages(pending));
  datagrams.push(encodeMessage({
    type: NLMSG_DONE,
    flags: NLM_F_MULTI,
    seq: DUMP_SEQ,
    payload: new Uint8Array(4),
  }));
  return datagrams;
}

/** Writes the configured ports into CONFIG_DB (before the clock starts). */
async function configure(store: Store): Promise<void> {
  const config = store.db("CONFIG_DB");
  const chunk = 10_000;
  for (let start = 0; start < ports; start += chunk) {
    const ops: StoreOp[] = [];
    for (let i = start; i < Math.min(ports, start + chunk); i++) {
      ops.push({
        op: "hset",
        key: `PORT${config.separator}${NAMES[i]}`,
        fields: {
          lanes: `${i * 4},${i * 4 + 1},${i * 4 + 2},${i * 4 + 3}`,
          speed: "100000",
          alias: `etp${i + 1}`,
          mtu: "9100",
          admin_status: "up",
        },
      });
    }
    await config.batch(ops);
  }
}

const server = kind === "redis" ? await startRedis() : null;
const store: Store = server === null
  ? new MemoryStore(parseDbConfig(BUILTIN_DB_CONFIG, { source: "cold_start" }))
  : await RedisStore.connect(server.dbConfig, {
    databases: ["APPL_DB", "CONFIG_DB", "STATE_DB"],
  });
try {
  await configure(store);
  const datagrams = dumpDatagrams();
  const sync = new PortSync(store, {
    links: { requestDump: () => DUMP_SEQ },
    log: createLogger("warn"),
  });
  const consumer = new TestConsumer(store.db("APPL_DB"), "PORT_TABLE");
  const t0 = performance.now();
  await sync.start();
  const published = performance.now();
  // orchagent's part (not portsyncd's, off the clock): PORT_TABLE:<port>.
  const consumed = (await consumer.pop(ports + 1)).length;
  const t1 = performance.now();
  const orchagentMs = t1 - published;
  let decodeMs = 0;
  const replies = datagrams.slice(0, -1);
  for (let start = 0; start < replies.length; start += perReceive) {
    const before = performance.now();
    const notices = replies.slice(start, start + perReceive).flatMap((
      datagram,
    ) => decodeNotices(datagram));
    decodeMs += performance.now() - before;
    await sync.handle(notices);
  }
  const t2 = performance.now();
  await sync.handle(decodeNotices(datagrams.at(-1)!));
  const t3 = performance.now();
  if (
    sync.dumping || sync.links.size !== ports || !sync.initDone ||
    consumed !== ports + 1
  ) {
    throw new Error(
      `cold start did not complete: dumping=${sync.dumping} links=${sync.links.size} initDone=${sync.initDone} consumed=${consumed}`,
    );
  }
  const counters = sync.counters;
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  console.log(
    `| ${kind} | ${ports} | ${ms(published - t0)} | ${ms(t2 - t1)} (decode ${
      ms(decodeMs)
    }, ${datagrams.length - 1} datagrams) | ${ms(t3 - t2)} | **${
      ms(t3 - t0 - orchagentMs)
    }** | ${
      ms(orchagentMs)
    } | ${counters.stateWrites} HSET, ${counters.reconciles} reconcile |`,
  );
} finally {
  await store.close();
  await server?.stop();
}
