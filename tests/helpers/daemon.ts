/**
 * Runs the real `portsyncd` (main.ts) as a child process for integration
 * tests, collects its log lines and waits on them or on any condition with a
 * deadline (never a fixed sleep).
 * @module
 */

import { V8_FLAGS } from "../../src/daemon/v8_flags.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Options of {@linkcode startDaemon}. */
export interface StartDaemonOptions {
  /** TOML written to a temp config file. */
  config?: string;
  /** database_config.json path. */
  dbConfigPath: string;
  /** Extra command-line arguments. */
  args?: string[];
  /** Extra `deno run` flags, e.g. `--v8-flags=--trace-gc`. */
  denoArgs?: string[];
  /**
   * Deno permission flags instead of `--allow-all`, given the daemon's temp
   * dir (config file, state dir), e.g. from `permissionFlags()`.
   */
  permissions?: (dir: string) => string[];
  /** Receives each stdout line (stdout is discarded without it). */
  onStdout?: (line: string) => void;
  /** Extra environment variables, e.g. `NOTIFY_SOCKET`, `WATCHDOG_USEC`. */
  env?: Record<string, string>;
  /** The script to run instead of main.ts, e.g. a bundle. */
  main?: string;
  /**
   * The daemon's V8 flags (default: the shipped set, `V8_FLAGS`); a
   * `--v8-flags=` in `denoArgs` or `PORTSYNCD_DAEMON_DENO_ARGS` adds to them.
   */
  v8Flags?: readonly string[];
}

/** A running daemon. */
export interface DaemonProcess {
  /** Log lines so far (stderr). */
  readonly lines: string[];
  /** Resolves with the first log line matching, after `from` lines. */
  waitForLog(
    pattern: RegExp,
    options?: { timeoutMs?: number; from?: number },
  ): Promise<string>;
  /** Sends a signal and resolves with the exit code and how long it took. */
  stop(signal?: Deno.Signal): Promise<{ code: number; ms: number }>;
  /** Exit status once it ended. */
  readonly status: Promise<Deno.CommandStatus>;
  /** True once the process has ended (and its log is complete). */
  readonly exited: boolean;
  /** Process id. */
  readonly pid: number;
}

/**
 * Polls `check` (every ~20 ms) until it returns a truthy value; rejects with
 * `what` and the last value when the deadline passes.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T> | T,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: T;
  while (true) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}; last: ${JSON.stringify(last)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts `portsyncd` with a temp config file; stop it in a `finally`. */
export async function startDaemon(
  options: StartDaemonOptions,
): Promise<DaemonProcess> {
  const dir = await Deno.makeTempDir({ prefix: "portsyncd-daemon-" });
  const configPath = `${dir}/portsyncd.conf`;
  // The warm-restart state file goes in this temp dir (removed at exit)
  // unless the test names its own [warm_restart] section.
  const config = options.config ?? "";
  await Deno.writeTextFile(
    configPath,
    /^\s*\[warm_restart\]/m.test(config)
      ? config
      : `${config}\n[warm_restart]\nstate_dir = "${dir}/state"\n`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...(options.permissions?.(dir) ?? ["--allow-all"]),
      ...denoFlags(options),
      options.main ?? MAIN,
      "--config",
      configPath,
      "--db-config",
      options.dbConfigPath,
      ...(options.args ?? []),
    ],
    stdin: "null",
    stdout: options.onStdout === undefined ? "null" : "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
  }).spawn();
  const lines: string[] = [];
  const readers = new Set<() => void>();
  const pump = (async () => {
    const decoder = new TextDecoderStream();
    let rest = "";
    for await (const chunk of child.stderr.pipeThrough(decoder)) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      lines.push(...parts);
      for (const wake of readers) wake();
    }
    if (rest !== "") lines.push(rest);
    for (const wake of readers) wake();
  })();
  const onStdout = options.onStdout;
  const stdoutPump = onStdout === undefined
    ? Promise.resolve()
    : readLines(child.stdout, onStdout);
  const status = child.status.then(async (result) => {
    await pump;
    await stdoutPump;
    await Deno.remove(dir, { recursive: true });
    return result;
  });
  let exited = false;
  status.then(() => exited = true);

  async function waitForLog(
    pattern: RegExp,
    wait: { timeoutMs?: number; from?: number } = {},
  ): Promise<string> {
    const deadline = Date.now() + (wait.timeoutMs ?? 15_000);
    let index = wait.from ?? 0;
    while (true) {
      for (; index < lines.length; index++) {
        if (pattern.test(lines[index])) return lines[index];
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0 || exited) {
        throw new Error(
          `no log line matching ${pattern}; log:\n${lines.join("\n")}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(remaining, 200));
        function done(): void {
          clearTimeout(timer);
          readers.delete(done);
          resolve();
        }
        readers.add(done);
      });
    }
  }

  async function stop(
    signal: Deno.Signal = "SIGTERM",
  ): Promise<{ code: number; ms: number }> {
    const started = performance.now();
    if (!exited) {
      try {
        child.kill(signal);
      } catch {
        // Already gone.
      }
    }
    const result = await status;
    return { code: result.code, ms: performance.now() - started };
  }

  return {
    lines,
    waitForLog,
    stop,
    status,
    pid: child.pid,
    get exited() {
      return exited;
    },
  };
}

async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop()!;
    for (const part of parts) onLine(part);
  }
  if (rest !== "") onLine(rest);
}

/**
 * `deno run` flags from `PORTSYNCD_DAEMON_DENO_ARGS` (space-separated), added
 * to every daemon a test or tool starts: e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof` to profile the daemon under `deno task load`.
 */
function extraDenoArgs(): string[] {
  const value = Deno.env.get("PORTSYNCD_DAEMON_DENO_ARGS") ?? "";
  return value.split(" ").filter((arg) => arg !== "");
}

/** `denoArgs` and the env's, their `--v8-flags` merged into one (Deno keeps the last). */
function denoFlags(options: StartDaemonOptions): string[] {
  const v8 = [...(options.v8Flags ?? V8_FLAGS)];
  const rest: string[] = [];
  for (const arg of [...(options.denoArgs ?? []), ...extraDenoArgs()]) {
    if (!arg.startsWith("--v8-flags=")) rest.push(arg);
    else v8.push(...arg.slice("--v8-flags=".length).split(",").filter(Boolean));
  }
  return v8.length === 0 ? rest : [`--v8-flags=${v8.join(",")}`, ...rest];
}
