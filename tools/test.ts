/**
 * The test command (`deno task test`): installs what the integration tests
 * need when it can (root, Debian), runs every test under `tests/`, echoes the
 * output and ends with one line `tests: N passed, N failed` read from the run.
 * Extra arguments go to `deno test` (e.g. a file or `--filter`).
 * @module
 */

const NEEDED = [
  { command: "redis-server", pkg: "redis-server" },
  { command: "redis-cli", pkg: "redis-tools" },
  { command: "ip", pkg: "iproute2" },
  { command: "promtool", pkg: "prometheus" },
  { command: "prometheus-alertmanager", pkg: "prometheus-alertmanager" },
];

async function has(command: string): Promise<boolean> {
  const probe = new Deno.Command("sh", {
    args: ["-c", `command -v ${command}`],
    stdout: "null",
    stderr: "null",
  });
  return (await probe.output()).success;
}

async function ensureTools(): Promise<void> {
  const missing: string[] = [];
  for (const need of NEEDED) {
    if (!(await has(need.command))) missing.push(need.pkg);
  }
  if (missing.length === 0) return;
  if (Deno.uid() !== 0 || !(await has("apt-get"))) {
    console.error(
      `test: missing ${missing.join(", ")}; tests that need them are skipped ` +
        `(run as root on Debian to install them)`,
    );
    return;
  }
  console.error(`test: installing ${missing.join(", ")} with apt-get`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  for (
    const args of [["update", "-qq"], ["install", "-y", "-qq", ...missing]]
  ) {
    const apt = new Deno.Command("apt-get", { args, env, stdout: "null" });
    const result = await apt.output();
    if (!result.success) {
      console.error(`test: apt-get ${args[0]} failed`);
      Deno.exit(1);
    }
  }
}

/** Reads the `ok | N passed | M failed` summary deno test prints last. */
function summarize(output: string): { passed: number; failed: number } | null {
  const pattern = /(\d+) passed.*?\| (\d+) failed/g;
  let last: RegExpExecArray | null = null;
  for (let match = pattern.exec(output); match; match = pattern.exec(output)) {
    last = match;
  }
  if (last === null) return null;
  return { passed: Number(last[1]), failed: Number(last[2]) };
}

async function main(): Promise<number> {
  await ensureTools();
  const extra = Deno.args.length > 0 ? Deno.args : ["tests/"];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", "--no-prompt", ...extra],
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  const decoder = new TextDecoder();
  let output = "";
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    output += decoder.decode(chunk, { stream: true });
  }
  const status = await child.status;
  const counts = summarize(output);
  if (counts === null) {
    console.log("tests: 0 passed, 1 failed");
    console.error("test: deno test printed no summary (it did not run)");
    return 1;
  }
  console.log(`tests: ${counts.passed} passed, ${counts.failed} failed`);
  return status.success ? 0 : 1;
}

Deno.exit(await main());
