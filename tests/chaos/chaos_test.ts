/**
 * Chaos: the real daemon on real links in a namespace and a real Redis,
 * with faults injected while the ports flap: a script keeping Redis BUSY,
 * OOM (maxmemory), connections killed in a loop, the server SIGSTOPped past
 * the command timeout, and another client deleting, overwriting and
 * flushing STATE_DB. After each, STATE_DB must equal the kernel within a
 * bound and the daemon must still run and sync. Each test prints one
 * `chaos:` line of figures (faults, convergence time, wrong final states).
 *
 * `PORTSYNCD_CHAOS_ROUNDS` sets the link changes per storm (default 600;
 * `deno task chaos` runs 5000).
 * @module
 */

import assert from "node:assert/strict";
import { type DaemonProcess, waitFor } from "../helpers/daemon.ts";
import {
  PORTS,
  type Rig,
  rigTest,
  stormLines,
  waitForConvergence,
} from "../sync/rig.ts";

const ROUNDS = Number(Deno.env.get("PORTSYNCD_CHAOS_ROUNDS") ?? "600");

/** Fast retries and a short command timeout, so faults show quickly. */
const TOML = "\n[store]\nreconnect_initial_ms = 50\nreconnect_max_ms = 1000\n" +
  "command_timeout_ms = 500\n";

/** Waits for convergence from now; returns the milliseconds it took. */
async function converge(rig: Rig, timeoutMs = 20_000): Promise<number> {
  const started = performance.now();
  await waitForConvergence(rig, { timeoutMs });
  return Math.round(performance.now() - started);
}

/** A final link change still reaches STATE_DB, then SIGTERM exits 0. */
async function stillSyncs(rig: Rig, daemon: DaemonProcess): Promise<void> {
  const before = (await rig.kernel()).get("Ethernet8")?.mtu;
  const mtu = before === "4321" ? "4322" : "4321";
  await rig.ns.ip("link", "set", "Ethernet8", "mtu", mtu);
  await waitFor(
    "a last change to reach STATE_DB",
    async () => (await rig.stateOf("Ethernet8")).mtu === mtu,
  );
  assert.equal((await daemon.stop("SIGTERM")).code, 0);
}

function report(fault: string, figures: Record<string, number>): void {
  const text = Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(" ");
  console.log(`chaos: ${fault} ${text}`);
}

async function wrongPorts(rig: Rig): Promise<number> {
  const kernel = await rig.kernel();
  let wrong = 0;
  for (const port of PORTS) {
    const state = await rig.stateOf(port);
    const want = kernel.get(port) ?? {};
    if (Object.entries(want).some(([f, v]) => state[f] !== v)) wrong++;
  }
  return wrong;
}

rigTest("chaos: a script keeping Redis BUSY during a storm", async (rig) => {
  const daemon = await rig.startReady({ toml: TOML });
  await rig.server.cli("CONFIG", "SET", "busy-reply-threshold", "50");
  const mark = daemon.lines.length;
  // redis-cli blocks until the script is killed; its promise ends then.
  const script = rig.server.cli("EVAL", "while true do end", "0").catch(
    () => "",
  );
  await waitFor("the script to run", async () => {
    const reply = await new Deno.Command("redis-cli", {
      args: ["-s", rig.server.socketPath, "PING"],
      stdout: "piped",
    }).output();
    return new TextDecoder().decode(reply.stdout).includes("BUSY");
  });
  await rig.ns.ipBatch(stormLines(ROUNDS, 31));
  await daemon.waitForLog(/store write failed.*BUSY/, { from: mark });
  await rig.server.cli("SCRIPT", "KILL");
  await script;
  const ms = await converge(rig);
  report("busy", { storm: ROUNDS, convergence_ms: ms, wrong: 0 });
  await stillSyncs(rig, daemon);
});

rigTest(
  "chaos: OOM (maxmemory) refuses writes; they are repaired once memory returns",
  async (rig) => {
    const daemon = await rig.startReady({ toml: TOML });
    const mark = daemon.lines.length;
    await rig.server.cli("CONFIG", "SET", "maxmemory", "1");
    await rig.ns.ipBatch(stormLines(ROUNDS, 37));
    await daemon.waitForLog(/store write failed.*OOM/, { from: mark });
    const wrongDuring = await wrongPorts(rig);
    await rig.server.cli("CONFIG", "SET", "maxmemory", "0");
    const ms = await converge(rig);
    await daemon.waitForLog(/STATE_DB repaired/, { from: mark });
    report("oom", {
      storm: ROUNDS,
      wrong_during: wrongDuring,
      convergence_ms: ms,
      wrong: 0,
    });
    await stillSyncs(rig, daemon);
  },
);

rigTest("chaos: connections killed in a loop during a storm", async (rig) => {
  const daemon = await rig.startReady({ toml: TOML });
  const storm = stormLines(ROUNDS * 2, 41);
  const parts = 10;
  let kills = 0;
  for (let part = 0; part < parts; part++) {
    const size = storm.length / parts;
    const batch = rig.ns.ipBatch(storm.slice(part * size, (part + 1) * size));
    await rig.server.cli("CLIENT", "KILL", "TYPE", "normal");
    kills++;
    await batch;
  }
  const ms = await converge(rig);
  report("client_kill", { storm: storm.length, kills, convergence_ms: ms });
  await stillSyncs(rig, daemon);
});

rigTest(
  "chaos: Redis SIGSTOPped past the command timeout, then SIGCONTed",
  async (rig) => {
    const daemon = await rig.startReady({ toml: TOML });
    const mark = daemon.lines.length;
    rig.server.pause();
    try {
      await rig.ns.ipBatch(stormLines(ROUNDS, 43));
      await daemon.waitForLog(/no reply in 500 ms/, { from: mark });
    } finally {
      rig.server.resume();
    }
    const ms = await converge(rig);
    report("sigstop", { storm: ROUNDS, convergence_ms: ms, wrong: 0 });
    await stillSyncs(rig, daemon);
  },
);

rigTest(
  "chaos: another client deletes, overwrites and flushes STATE_DB; restored within 5 s",
  async (rig) => {
    const daemon = await rig.startReady({ toml: TOML });
    await rig.ns.ip("link", "set", "Ethernet0", "up");
    await waitForConvergence(rig);
    const faults: [string, () => Promise<unknown>][] = [
      ["delete", () => rig.state.del("PORT_TABLE|Ethernet0")],
      [
        "overwrite",
        () =>
          rig.state.hset("PORT_TABLE|Ethernet4", {
            admin_status: "up",
            mtu: "1",
          }),
      ],
      ["flushdb", () => rig.server.cli("-n", "6", "FLUSHDB")],
    ];
    let longest = 0;
    for (const [name, fault] of faults) {
      await fault();
      assert.ok(await wrongPorts(rig) > 0, `${name} changed nothing`);
      const ms = await converge(rig, 5000);
      longest = Math.max(longest, ms);
      report(`state_${name}`, { convergence_ms: ms, wrong: 0 });
    }
    assert.ok(daemon.lines.some((line) => line.includes("rewritten")));
    report("state_tamper", { faults: faults.length, longest_ms: longest });
    await stillSyncs(rig, daemon);
  },
);
