/**
 * Memory of portsyncd, and where it is.
 *
 * `daemon` (the default) runs the real daemon against a throw-away Redis and
 * namespace with `--ports` veth ports (all in CONFIG_DB) and `--rules` alert
 * rules, and prints its memory when idle after start-up and after each of
 * `--storms` storms of `--changes` link changes (four parallel `ip -batch`,
 * admin up/down and MTU), once STATE_DB equals the kernel and it has been
 * idle `--idle-ms`: VmRSS, VmHWM, anonymous and file-backed pages, the live
 * V8 heap after the last full GC (`--trace-gc`), and with `--maps N` the N
 * largest mappings. `--deno-arg` (repeatable) passes a flag to the daemon's
 * `deno run`, e.g. `--deno-arg=--v8-flags=--max-semi-space-size=1`; with
 * `--flags none` the daemon runs without the V8 flags of
 * `src/daemon/v8_flags.ts`.
 *
 * `imports` prints the idle RSS of a Deno process that imports each of the
 * daemon's dependencies alone, then all of them, then the daemon's modules.
 *
 * ```sh
 * deno run -A tools/memory.ts                      # idle, 4 ports
 * deno run -A tools/memory.ts --ports 1000 --rules 50 --storms 3 --changes 100000
 * deno run -A tools/memory.ts imports
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { createNetns, type Netns } from "../tests/helpers/netns.ts";
import { addPorts, stateMatchesKernel } from "../tests/helpers/ports.ts";
import { type RedisServer, startRedis } from "../tests/helpers/redis_server.ts";
import {
  type DaemonProcess,
  startDaemon,
  waitFor,
} from "../tests/helpers/daemon.ts";
import { TestConsumer } from "../tests/helpers/consumer.ts";
import { RedisStore } from "../src/store/redis_store.ts";
import { V8_FLAGS, v8FlagsArgument } from "../src/daemon/v8_flags.ts";
import {
  type HeapFigures,
  Inspector,
  type MemoryFigures,
  memoryFigures,
} from "./memory_maps.ts";

const ROOT = new URL("..", import.meta.url).pathname;

function mibLine(
  label: string,
  figures: MemoryFigures,
  heap: HeapFigures | null,
): string {
  const v8 = heap === null
    ? ""
    : ` v8_used=${heap.used} v8_live=${heap.live} v8_total=${heap.total}`;
  return `${label.padEnd(18)} rss=${figures.rss} hwm=${figures.hwm} ` +
    `anon=${figures.anonymous} file=${figures.file}${v8} MiB cpu=${figures.cpuMs} ms`;
}

function printMaps(figures: MemoryFigures): void {
  for (const map of figures.top) {
    console.log(
      `    ${String(map.rss).padStart(6)} MiB  ${map.count}× ${map.name}`,
    );
  }
}

/** Ports `Ethernet0`, `Ethernet4`, … in veth pairs. */
function portNames(count: number): string[] {
  return Array.from(
    { length: count + count % 2 },
    (_, i) => `Ethernet${i * 4}`,
  );
}

function rulesToml(count: number): string {
  const kinds = [
    ["ports_oper_down", "above", 2000],
    ["port_oper_down", "equals", 5],
    ["port_flaps", "above", 1_000_000],
    ["latency_p99_us", "above", 10_000_000],
    ["events_per_second_1s", "above", 10_000_000],
  ] as const;
  const rules: string[] = [];
  for (let i = 0; i < count; i++) {
    const [metric, condition, threshold] = kinds[i % kinds.length];
    rules.push(
      `[[alerting.rules]]\nid = "memory_${i}"\nmetric = "${metric}"\n` +
        `condition = "${condition}"\nthreshold = ${threshold + i}\n`,
    );
  }
  return rules.join("\n");
}

/** `count` `ip -batch` lines over `ports`, each a real change. */
function stormLines(ports: string[], count: number, seed: number): string[] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) & 0x7fffffff);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const port = ports[next() % ports.length];
    lines.push(
      next() % 2 === 0
        ? `link set ${port} ${next() % 2 === 0 ? "up" : "down"}`
        : `link set ${port} mtu ${1500 + (next() % 8) * 1000}`,
    );
  }
  return lines;
}

function converged(ns: Netns, store: RedisStore): Promise<boolean> {
  return stateMatchesKernel(ns, store.db("STATE_DB"));
}

async function settle(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

interface DaemonRunOptions {
  ports: number;
  rules: number;
  storms: number;
  changes: number;
  idleMs: number;
  maps: number;
  denoArgs: string[];
  /** The daemon's V8 flags. */
  v8Flags: readonly string[];
  /** The script to run instead of main.ts ("" = main.ts), e.g. a bundle. */
  script: string;
  /** Extra environment variables of the daemon (`NAME=value`). */
  env: Record<string, string>;
  /** Inspector port for V8 heap figures (0: no inspector). */
  inspectPort: number;
  /** Heap snapshot path prefix ("" = none; needs the inspector). */
  snapshot: string;
}

async function runDaemonCase(options: DaemonRunOptions): Promise<void> {
  let server: RedisServer | null = null;
  let ns: Netns | null = null;
  let store: RedisStore | null = null;
  let daemon: DaemonProcess | null = null;
  let inspector: Inspector | null = null;
  const ports = portNames(options.ports);
  // RSS first: the inspector's forced GC changes it.
  async function sample(label: string, pid: number): Promise<void> {
    const figures = await memoryFigures(pid, { top: options.maps });
    const heap = await inspector?.heap() ?? null;
    console.log(mibLine(label, figures, heap));
    if (options.maps > 0) printMaps(figures);
    if (inspector !== null && options.snapshot !== "") {
      const path = `${options.snapshot}-${
        label.split(" ").slice(0, 2).join("")
      }.heapsnapshot`;
      await inspector.snapshot(path);
      console.log(`    heap snapshot: ${path}`);
    }
  }
  try {
    server = await startRedis();
    ns = await createNetns({ prefix: "psd-mem" });
    store = await RedisStore.connect(server.dbConfig, {
      databases: ["APPL_DB", "CONFIG_DB", "STATE_DB"],
    });
    await addPorts(ns, ports, { config: store.db("CONFIG_DB") });
    daemon = await startDaemon({
      dbConfigPath: server.dbConfigPath,
      config: `[netlink]\nnamespace = "${ns.name}"\n\n${
        rulesToml(options.rules)
      }`,
      denoArgs: options.inspectPort === 0
        ? options.denoArgs
        : [`--inspect=127.0.0.1:${options.inspectPort}`, ...options.denoArgs],
      env: options.env,
      v8Flags: options.v8Flags,
      main: options.script === "" ? undefined : options.script,
    });
    // Play orchagent: take the ports out of APPL_DB's producer table.
    const consumer = new TestConsumer(store.db("APPL_DB"), "PORT_TABLE");
    let consumed = 0;
    await waitFor("the ports in APPL_DB", async () => {
      consumed += (await consumer.popAll()).length;
      return consumed >= ports.length;
    }, { timeoutMs: 60_000 });
    await daemon.waitForLog(/PortInitDone published/, { timeoutMs: 60_000 });
    if (options.inspectPort !== 0) {
      inspector = await Inspector.connect(options.inspectPort);
    }
    await settle(options.idleMs);
    await sample("idle", daemon.pid);
    for (let storm = 1; storm <= options.storms; storm++) {
      const lines = stormLines(ports, options.changes, 1000 + storm);
      const quarter = Math.ceil(lines.length / 4);
      const started = performance.now();
      await Promise.all(
        [0, 1, 2, 3].map((i) =>
          ns!.ipBatch(lines.slice(i * quarter, (i + 1) * quarter))
        ),
      );
      await waitFor(
        "STATE_DB to equal the kernel",
        () => converged(ns!, store!),
        { timeoutMs: 120_000 },
      );
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      await settle(options.idleMs);
      await sample(`storm ${storm} (${seconds} s)`, daemon.pid);
    }
    // Under an inspector session the shutdown is not the daemon's own: the
    // finally kills it instead.
    if (inspector === null) {
      const stopped = await daemon.stop("SIGTERM");
      if (stopped.code !== 0) throw new Error(`daemon exited ${stopped.code}`);
    }
  } finally {
    inspector?.close();
    if (daemon !== null && !daemon.exited) await daemon.stop("SIGKILL");
    await store?.close();
    await ns?.destroy();
    await server?.stop();
  }
}

/** What each `imports` case imports. */
const IMPORT_CASES: [string, string][] = [
  ["bare deno", ""],
  ["node:net", `import "node:net";`],
  ["@redis/client", `import "@redis/client";`],
  ["smol-toml", `import "smol-toml";`],
  ["zod", `import "zod";`],
  ["commander", `import "commander";`],
  ["prom-client", `import "prom-client";`],
  ["hdr-histogram-js", `import "hdr-histogram-js";`],
  [
    "all of them",
    `import "@redis/client"; import "smol-toml"; import "zod"; import "commander"; import "prom-client"; import "hdr-histogram-js";`,
  ],
  ["src/cli/main.ts", `import "${ROOT}src/cli/main.ts";`],
];

async function importRss(source: string, denoArgs: string[]): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "portsyncd-memory-" });
  try {
    const file = `${dir}/case.ts`;
    await Deno.writeTextFile(
      file,
      `${source}\nconsole.log("ready");\nsetInterval(() => {}, 1000);\n`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `--config=${ROOT}deno.json`, ...denoArgs, file],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      let text = "";
      while (!text.includes("ready")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`case exited before "ready": ${source}`);
        text += value;
      }
      reader.releaseLock();
      await settle(1500);
      return (await memoryFigures(child.pid, { top: 0 })).rss;
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function runImportCases(denoArgs: string[]): Promise<void> {
  let bare = 0;
  for (const [label, source] of IMPORT_CASES) {
    const rss = await importRss(source, denoArgs);
    if (source === "") bare = rss;
    const extra = source === "" ? "" : ` (+${(rss - bare).toFixed(1)})`;
    console.log(`${label.padEnd(20)} ${rss.toFixed(1)} MiB${extra}`);
  }
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      ports: { type: "string", default: "4" },
      rules: { type: "string", default: "0" },
      storms: { type: "string", default: "0" },
      changes: { type: "string", default: "100000" },
      "idle-ms": { type: "string", default: "4000" },
      maps: { type: "string", default: "0" },
      inspect: { type: "string", default: "0" },
      snapshot: { type: "string", default: "" },
      flags: { type: "string", default: "default" },
      "deno-arg": { type: "string", multiple: true, default: [] },
      env: { type: "string", multiple: true, default: [] },
      script: { type: "string", default: "" },
    },
  });
  const v8Flags = values.flags === "none" ? [] : V8_FLAGS;
  const denoArgs = values["deno-arg"];
  console.log(
    `deno ${Deno.version.deno}, V8 flags: ${v8Flags.join(" ") || "none"}, ` +
      `deno args: ${denoArgs.join(" ") || "none"}`,
  );
  if (positionals[0] === "imports") {
    const v8 = denoArgs.filter((arg) => arg.startsWith("--v8-flags="))
      .flatMap((arg) => arg.slice("--v8-flags=".length).split(","));
    const rest = denoArgs.filter((arg) => !arg.startsWith("--v8-flags="));
    const flags = values.flags === "none"
      ? (v8.length === 0 ? [] : [`--v8-flags=${v8.join(",")}`])
      : [v8FlagsArgument(v8)];
    await runImportCases([...flags, ...rest]);
  } else {
    await runDaemonCase({
      ports: Number(values.ports),
      rules: Number(values.rules),
      storms: Number(values.storms),
      changes: Number(values.changes),
      idleMs: Number(values["idle-ms"]),
      maps: Number(values.maps),
      denoArgs,
      v8Flags,
      inspectPort: Number(values.inspect),
      script: values.script,
      env: Object.fromEntries(
        values.env.map((
          pair,
        ) => [pair.split("=")[0], pair.split("=").slice(1).join("=")]),
      ),
      snapshot: values.snapshot,
    });
  }
}
