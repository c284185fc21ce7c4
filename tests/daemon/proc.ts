/**
 * What the kernel says about a running process, for daemon lifecycle tests:
 * its age, its ignored signals, the TCP ports it listens on.
 * @module
 */

/** Linux's USER_HZ: the unit of `/proc/<pid>/stat` times on every architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

/** How long ago the process started, in ms (from `/proc`, clock-tick precision). */
export async function processAgeMs(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the command name (which may hold spaces) start at ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const startTicks = Number(fields[19]);
  const uptime = Number(
    (await Deno.readTextFile("/proc/uptime")).split(" ")[0],
  );
  return uptime * 1000 - (startTicks / CLOCK_TICKS_PER_SECOND) * 1000;
}

/** Numbers of the signals the process has set to SIG_IGN (`SigIgn` in `/proc/<pid>/status`). */
export async function ignoredSignals(pid: number): Promise<Set<number>> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const mask = BigInt(`0x${/^SigIgn:\s*([0-9a-f]+)$/m.exec(status)![1]}`);
  const signals = new Set<number>();
  for (let signo = 1; signo <= 64; signo++) {
    if ((mask >> BigInt(signo - 1)) & 1n) signals.add(signo);
  }
  return signals;
}

/** Lines of `ss -ltnp` for TCP sockets the process listens on (empty: none). */
export async function tcpListeners(pid: number): Promise<string[]> {
  const output = await new Deno.Command("ss", {
    args: ["-H", "-l", "-t", "-n", "-p"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`ss failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  return new TextDecoder().decode(output.stdout).split("\n")
    .filter((line) => line.includes(`pid=${pid},`));
}

/** True while `/proc/<pid>` exists (the process has not been reaped). */
export async function processExists(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
