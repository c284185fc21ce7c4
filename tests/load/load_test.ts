/**
 * The load harness (`deno task load`): its command line, its storm lines,
 * its SVG, and a `--quick` run against the real daemon, real Redis and
 * real links, asserting what can fail without timing: the JSON has every
 * field, STATE_DB equalled the kernel after every storm, the SVG is
 * well-formed, the percentiles are ordered, and nothing is left behind.
 * No figure is asserted.
 * @module
 */

import assert from "node:assert/strict";
import { netnsSkipReason } from "../helpers/netns.ts";
import { REDIS_AVAILABLE } from "../helpers/redis_server.ts";
import { parseCommand, UsageError } from "../../tools/load/mod.ts";
import type { LoadResult } from "../../tools/load/report.ts";
import { writeResult } from "../../tools/load/report.ts";
import { runLoad } from "../../tools/load/run.ts";
import { StormLines } from "../../tools/load/storm.ts";
import { renderSvg } from "../../tools/load/svg.ts";
import type { LatencyFigures } from "../../tools/latency_probe.ts";
import { checkSvg } from "./svg_check.ts";

const SKIP = netnsSkipReason() ??
  (REDIS_AVAILABLE ? null : "redis-server is not installed");

Deno.test("load: command line defaults, --quick, and one-line usage errors", () => {
  const full = parseCommand([]);
  assert.equal(full.kind, "run");
  if (full.kind !== "run") return;
  assert.equal(full.options.ports, 128);
  assert.equal(full.options.adminOnly, false);
  assert.deepEqual(full.options.rates, [
    2000,
    5000,
    10000,
    20000,
    50000,
    "max",
  ]);
  assert.equal(full.options.stormChanges, 20000);
  assert.equal(full.options.rules, 50);
  const quick = parseCommand(["--quick", "--rates", "100,max", "--ports", "6"]);
  assert.equal(quick.kind, "run");
  if (quick.kind !== "run") return;
  assert.equal(quick.options.ports, 6, "an explicit option beats --quick");
  assert.deepEqual(quick.options.rates, [100, "max"]);
  assert.equal(quick.options.changes, 50);
  for (
    const [args, message] of [
      [["--ports", "7"], /^--ports: must be even/],
      [["--ports", "2002"], /^--ports: must be a whole number from 4 to 2000/],
      [["--rates", "5k"], /^--rates: "5k" is not a rate/],
      [["--changes", "0"], /^--changes: /],
      [["--bogus"], /bogus/],
    ] as const
  ) {
    assert.throws(
      () => parseCommand([...args]),
      (error: Error) =>
        error instanceof UsageError && message.test(error.message) &&
        !error.message.includes("\n"),
      args.join(" "),
    );
  }
});

Deno.test("load: a usage error is one line on stderr and exit 2", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("../../tools/load/mod.ts", import.meta.url).pathname,
      "--ports",
      "7",
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stderr = new TextDecoder().decode(output.stderr).trim().split("\n");
  assert.equal(output.code, 2);
  assert.match(stderr[0], /^load: --ports: must be even/);
});

Deno.test("load: every storm line is a real change, each port fed by one ip process", () => {
  const ports = [
    "Ethernet8",
    "Ethernet12",
    "Ethernet16",
    "Ethernet20",
    "Ethernet24",
  ];
  const lines = new StormLines(ports);
  const up = new Map<string, boolean>();
  const mtu = new Map<string, string>();
  for (const storm of [lines.next(1000, 4), lines.next(1001, 4)]) {
    assert.equal(storm.length, 4);
    const owner = new Map<string, number>();
    for (const [group, batch] of storm.entries()) {
      for (const line of batch) {
        const [, port, what, value] = line.match(
          /^link set (Ethernet\d+) (up|down|mtu)(?: (\d+))?$/,
        ) ?? [];
        assert.ok(port !== undefined, line);
        assert.equal(owner.get(port) ?? group, group, `${port} in two groups`);
        owner.set(port, group);
        if (what === "mtu") {
          assert.notEqual(value, mtu.get(port) ?? "1500", `${line}: no change`);
          mtu.set(port, value);
        } else {
          assert.notEqual(
            what === "up",
            up.get(port) ?? false,
            `${line}: no change`,
          );
          up.set(port, what === "up");
        }
      }
    }
  }
});

Deno.test("load: --admin-only storms flip admin state only, still each a real change", () => {
  const storm = new StormLines(["Ethernet8", "Ethernet12"], { adminOnly: true })
    .next(100, 2);
  const up = new Map<string, boolean>();
  for (const line of storm.flat()) {
    const [, port, what] = line.match(/^link set (Ethernet\d+) (up|down)$/) ??
      [];
    assert.ok(port !== undefined, line);
    assert.notEqual(what === "up", up.get(port) ?? false, line);
    up.set(port, what === "up");
  }
  assert.equal(storm.flat().length, 100);
});

function emptyFigures(): LatencyFigures {
  return { samples: 0, p50_us: 0, p95_us: 0, p99_us: 0, max_us: 0 };
}

Deno.test("load: the SVG of a run with no storm and no samples is well-formed", () => {
  const result = {
    date: "2026-01-01T00:00:00.000Z",
    machine: { cores: 2, cpu: "A <CPU> & co", commit: "abc" },
    options: { storm_changes: 0, parallel: 4 },
    setup: { ports: 4, rules: 0 },
    idle: {
      latency: { ...emptyFigures(), lost: 0, from_request: emptyFigures() },
    },
    storms: [],
    rss_samples: [],
    ok: false,
  } as unknown as LoadResult;
  const elements = checkSvg(renderSvg(result));
  assert.equal(
    elements.filter((e) => e.attributes.class === "panel").length,
    3,
  );
});

/** Field types every result must have (arrays: the shape of one item). */
const FIGURES = { samples: 0, p50_us: 0, p95_us: 0, p99_us: 0, max_us: 0 };
const LATENCY = { ...FIGURES, lost: 0, from_request: FIGURES };
const CPU = { daemon: 0, redis: 0, total: 0 };
const SHAPE = {
  schema: 0,
  date: "",
  command: "",
  machine: {
    cpu: "",
    cores: 0,
    memory_mib: 0,
    kernel: "",
    deno: "",
    v8: "",
    redis: "",
    commit: "",
    dirty: true,
    loadavg_start: "",
    note: "",
  },
  options: {
    ports: 0,
    changes: 0,
    rates: [],
    storm_changes: 0,
    rules: 0,
    parallel: 0,
    storm_kind: "",
    v8_flags: null,
    coalesce_us: null,
  },
  setup: { ports: 0, veth_pairs: 0, rules: 0, ready_ms: 0, rss_ready_mib: 0 },
  idle: {
    latency: LATENCY,
    cpu_ms: CPU,
    rss_mib: 0,
    quiet: { window_ms: 0, cpu_ms: CPU },
  },
  storms: [{
    offered_rate: null,
    changes: 0,
    probe_changes: 0,
    parallel: 0,
    achieved_rate: 0,
    kernel_ms: 0,
    convergence_ms: null,
    settle_ms: null,
    convergence_polls: 0,
    state_equal: true,
    mismatched_ports: 0,
    mismatches: [],
    port_writes: 0,
    link_messages: 0,
    batches: 0,
    overflows: 0,
    overflow_log_lines: 0,
    cpu_ms: CPU,
    rss_mib: { start: 0, peak: 0, end: 0 },
    latency: LATENCY,
    start_ms: 0,
    end_ms: 0,
  }],
  rss_samples: [{ t_ms: 0, daemon_mib: 0, redis_mib: 0 }],
  daemon: { exit_code: 0, stop_ms: 0, overflows_total: 0, events_total: 0 },
  ok: true,
  failures: [],
};

/** Asserts `value` has every field of `shape`, with the same types. */
function assertShape(value: unknown, shape: unknown, path: string): void {
  if (shape === null) return; // nullable: anything
  if (Array.isArray(shape)) {
    assert.ok(Array.isArray(value), `${path} is not an array`);
    if (shape.length > 0) {
      assert.ok(value.length > 0, `${path} is empty`);
      value.forEach((item, i) => assertShape(item, shape[0], `${path}[${i}]`));
    }
    return;
  }
  if (typeof shape === "object") {
    assert.ok(
      typeof value === "object" && value !== null,
      `${path} is not an object`,
    );
    for (const [key, inner] of Object.entries(shape)) {
      assert.ok(key in value, `${path}.${key} is missing`);
      assertShape(
        (value as Record<string, unknown>)[key],
        inner,
        `${path}.${key}`,
      );
    }
    return;
  }
  assert.equal(typeof value, typeof shape, `${path} has type ${typeof value}`);
}

function assertOrdered(figures: LatencyFigures, what: string): void {
  const { p50_us, p95_us, p99_us, max_us } = figures;
  assert.ok(
    0 <= p50_us && p50_us <= p95_us && p95_us <= p99_us && p99_us <= max_us,
    `${what}: percentiles out of order ${JSON.stringify(figures)}`,
  );
}

async function namespacesOfThisProcess(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir("/run/netns")) {
    if (entry.name.startsWith(`psd-load-${Deno.pid}-`)) names.push(entry.name);
  }
  return names;
}

Deno.test({
  name:
    "load --quick on the real daemon: every field, STATE_DB equal to the kernel after every storm, a well-formed SVG, ordered percentiles, nothing left behind",
  ignore: SKIP !== null,
  fn: async () => {
    const out = await Deno.makeTempDir({ prefix: "portsyncd-load-test-" });
    try {
      const command = parseCommand(["--quick"]);
      assert.equal(command.kind, "run");
      if (command.kind !== "run") return;
      const result = await runLoad(command.options);
      const files = await writeResult(result, out);
      assert.deepEqual(await namespacesOfThisProcess(), []);

      const written = JSON.parse(await Deno.readTextFile(files.latestJson));
      assertShape(written, SHAPE, "result");
      assert.deepEqual(
        JSON.parse(await Deno.readTextFile(files.json)),
        written,
        "the dated file and latest.json hold the same result",
      );
      assert.equal(written.storms.length, 2, "one storm per --quick rate");
      assert.deepEqual(
        written.storms.map((storm: { offered_rate: unknown }) =>
          storm.offered_rate
        ),
        [5000, "max"],
      );
      for (const storm of written.storms) {
        assert.equal(
          storm.state_equal,
          true,
          `storm at ${storm.offered_rate}: ${storm.mismatches.join("; ")}`,
        );
        assert.equal(storm.changes, 2000);
        assert.ok(storm.convergence_ms !== null);
        assert.ok(storm.port_writes > 0, "the storm reached STATE_DB");
        assert.ok(
          storm.batches > 0 && storm.batches <= storm.link_messages,
          "messages were read in batches",
        );
        assert.ok(storm.rss_mib.peak >= storm.rss_mib.start);
        assertOrdered(storm.latency, `storm ${storm.offered_rate}`);
        assertOrdered(
          storm.latency.from_request,
          `storm ${storm.offered_rate} from request`,
        );
      }
      assert.equal(written.ok, true, written.failures.join("; "));
      assert.equal(written.daemon.exit_code, 0);
      assert.equal(written.idle.latency.samples, 50);
      assertOrdered(written.idle.latency, "idle");
      assertOrdered(written.idle.latency.from_request, "idle from request");
      assert.ok(
        written.daemon.events_total >= 4000,
        "the daemon heard the storms",
      );

      const elements = checkSvg(await Deno.readTextFile(files.latestSvg));
      assert.equal(
        elements.filter((e) => e.attributes.class === "panel").length,
        3,
      );
      const series = elements.filter((e) => e.attributes.class === "series")
        .map((e) => e.attributes["data-series"]);
      assert.deepEqual(series, [
        "p50",
        "p95",
        "p99",
        "max",
        "p50 probe socket",
        "p99 probe socket",
        "portsyncd",
        "redis-server",
      ]);
      assert.equal(
        elements.filter((e) => e.attributes.class === "bar").length,
        4,
      );
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "load: a run interrupted half-way rejects and leaves no namespace, Redis or daemon behind",
  ignore: SKIP !== null,
  fn: async () => {
    const command = parseCommand(["--quick", "--changes", "100000"]);
    assert.equal(command.kind, "run");
    if (command.kind !== "run") return;
    const interrupt = new AbortController();
    let redisDir: string | null = null;
    let daemonPid: number | null = null;
    await assert.rejects(
      runLoad({
        ...command.options,
        signal: interrupt.signal,
        log: (line) => {
          // Interrupt once the probe is busy with its 100,000 changes.
          if (/single changes at rest/.test(line)) interrupt.abort();
        },
        onRig: (rig) => {
          redisDir = rig.server.dir;
          daemonPid = rig.daemon.pid;
        },
      }),
    );
    assert.ok(redisDir !== null && daemonPid !== null, "the rig was built");
    assert.deepEqual(await namespacesOfThisProcess(), []);
    await assert.rejects(Deno.stat(redisDir), Deno.errors.NotFound);
    await assert.rejects(
      Deno.stat(`/proc/${daemonPid}`),
      Deno.errors.NotFound,
      "the daemon is gone",
    );
  },
});
