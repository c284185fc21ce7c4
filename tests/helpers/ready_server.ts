/**
 * Runs a server of the Prometheus family (Prometheus, Alertmanager) for a
 * test: its config in a temp dir, a port, its stderr collected, ready once
 * `GET /-/ready` answers 200; stopped with SIGTERM (SIGKILL after 5 s) and
 * its directory removed.
 * @module
 */

import { waitFor } from "./daemon.ts";

/** A running server. */
export interface ReadyServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Its log so far (stderr). */
  readonly log: string[];
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

/** What to run. */
export interface ReadyServerOptions {
  /** The binary. */
  bin: string;
  /** Name for messages and the temp dir, e.g. `prometheus`. */
  name: string;
  /** Its config file's name and content, written to the temp dir. */
  config: { file: string; text: string };
  /** The port it listens on. */
  port: number;
  /** Its arguments, given the temp dir. */
  args(dir: string): string[];
}

/** Starts the server and waits until it is ready (30 s at most). */
export async function startReadyServer(
  options: ReadyServerOptions,
): Promise<ReadyServer> {
  const dir = await Deno.makeTempDir({ prefix: `portsyncd-${options.name}-` });
  await Deno.writeTextFile(
    `${dir}/${options.config.file}`,
    options.config.text,
  );
  const url = `http://127.0.0.1:${options.port}`;
  const child = new Deno.Command(options.bin, {
    args: options.args(dir),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log: string[] = [];
  const pump = (async () => {
    let rest = "";
    for await (
      const chunk of child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      log.push(...parts);
    }
  })();
  let exited = false;
  const status = child.status.then(async (result) => {
    exited = true;
    await pump;
    return result;
  });

  async function stop(): Promise<void> {
    if (!exited) child.kill("SIGTERM");
    const timer = setTimeout(() => {
      if (!exited) child.kill("SIGKILL");
    }, 5_000);
    await status;
    clearTimeout(timer);
    await Deno.remove(dir, { recursive: true });
  }

  try {
    await waitFor(`${options.name} to be ready`, async () => {
      if (exited) {
        throw new Error(`${options.name} exited:\n${log.join("\n")}`);
      }
      try {
        const response = await fetch(`${url}/-/ready`);
        await response.body?.cancel();
        return response.ok;
      } catch {
        return false;
      }
    }, { timeoutMs: 30_000 });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, log, stop };
}
