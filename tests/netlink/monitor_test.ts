import assert from "node:assert/strict";
import {
  formatLinkEvent,
  type MonitorOptions,
  runMonitor,
} from "../../src/netlink/mod.ts";
import { type Netns, netnsSkipReason, withVeth } from "../helpers/netns.ts";
import { MONITOR_FIELDS } from "./fixtures.ts";

const SKIP = netnsSkipReason();
const ignore = SKIP !== null;

/** Collects lines and lets a test wait until they satisfy a condition. */
class Lines {
  readonly lines: string[] = [];
  #waiters: (() => void)[] = [];

  write = (line: string): void => {
    this.lines.push(line);
    for (const wake of this.#waiters.splice(0)) wake();
  };

  async until(
    done: (lines: readonly string[]) => boolean,
    timeoutMs = 15_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.lines)) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(
          `timed out after ${timeoutMs} ms; last lines: ${
            this.lines.slice(-20).join("\n")
          }`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, remaining);
      });
      clearTimeout(timer);
    }
  }
}

/** What a test run by {@linkcode withMonitor} gets to work with. */
interface MonitorRun {
  /** The namespace, holding veth Ethernet0 <-> Ethernet4. */
  ns: Netns;
  /** The monitor's output lines. */
  out: Lines;
  /** The monitor's diagnostic lines. */
  diagnostics: Lines;
  /** Aborts the monitor and waits for it to finish. */
  stop(): Promise<void>;
}

/**
 * Runs `fn` with `runMonitor` watching a fresh namespace holding veth
 * Ethernet0 <-> Ethernet4; the monitor is stopped and the namespace destroyed
 * afterwards.
 */
function withMonitor(
  fn: (run: MonitorRun) => Promise<void>,
  options: Pick<MonitorOptions, "receiveBufferBytes"> = {},
): Promise<void> {
  return withVeth(async (ns) => {
    const controller = new AbortController();
    const out = new Lines();
    const diagnostics = new Lines();
    let running: Promise<void> | null = runMonitor({
      netns: ns.name,
      signal: controller.signal,
      ...options,
      write: out.write,
      writeDiagnostic: diagnostics.write,
    });
    async function stop(): Promise<void> {
      controller.abort();
      const finished = running;
      running = null;
      await finished;
    }
    try {
      await fn({ ns, out, diagnostics, stop });
    } finally {
      await stop();
    }
  });
}

function parsed(lines: readonly string[]): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line));
}

Deno.test("formatLinkEvent prints exactly the LinkEvent fields in order", () => {
  const line = formatLinkEvent({
    address: null,
    operstate: "up",
    kind: null,
    master: 3,
    mtu: 1500,
    oper: "up",
    admin: "up",
    flags: 65,
    ifindex: 2,
    name: "Ethernet0",
    type: "newlink",
  });
  assert.deepEqual(Object.keys(JSON.parse(line)), MONITOR_FIELDS);
});

Deno.test({
  name: "monitor: dumps all links, then prints live events until aborted",
  ignore,
  fn: () =>
    withMonitor(async ({ ns, out, diagnostics, stop }) => {
      await out.until((lines) =>
        ["lo", "Ethernet0", "Ethernet4"].every((name) =>
          parsed(lines).some((line) => line.name === name)
        )
      );
      for (const line of parsed(out.lines)) {
        assert.deepEqual(Object.keys(line), MONITOR_FIELDS);
      }
      await ns.ip("link", "set", "Ethernet0", "up", "mtu", "9000");
      await out.until((lines) =>
        parsed(lines).some((line) =>
          line.name === "Ethernet0" && line.admin === "up" && line.mtu === 9000
        )
      );
      await stop();
      assert.deepEqual(diagnostics.lines, []);
    }),
});

Deno.test({
  name: "monitor: overflow is reported and followed by a fresh dump",
  ignore,
  fn: () =>
    withMonitor(async ({ ns, out, diagnostics, stop }) => {
      await out.until((lines) =>
        parsed(lines).some((line) => line.name === "Ethernet4")
      );
      const lines: string[] = [];
      for (let i = 0; i < 2000; i++) {
        lines.push("link set Ethernet0 up", "link set Ethernet0 down");
      }
      lines.push("link set Ethernet0 mtu 9000");
      await ns.ipBatch(lines);
      await diagnostics.until((lines) =>
        lines.includes(JSON.stringify({ type: "overflow" }))
      );
      // lo never changes, so every lo line after the first comes from a
      // re-dump; the last Ethernet0 line must show the final state.
      await out.until((lines) => {
        const all = parsed(lines);
        const ethernet0 = all.filter((line) => line.name === "Ethernet0");
        return all.filter((line) => line.name === "lo").length >= 2 &&
          ethernet0.at(-1)?.mtu === 9000 && ethernet0.at(-1)?.admin === "down";
      });
      await stop();
    }, { receiveBufferBytes: 4096 }),
});
