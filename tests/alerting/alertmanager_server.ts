/**
 * A real Prometheus Alertmanager (Debian `prometheus-alertmanager`) for the
 * integration tests: its own temp config (one route to a receiver that
 * notifies nobody) and storage directory, a free port, clustering off, and
 * its v2 alert list. Stop it in a `finally`.
 * @module
 */

import { waitFor } from "../helpers/daemon.ts";
import { freePort } from "../metrics/free_port.ts";

/** The Debian package's binary. */
export const ALERTMANAGER_BIN = "/usr/bin/prometheus-alertmanager";

/** One alert as `GET /api/v2/alerts` lists it (the fields the tests read). */
export interface GettableAlert {
  /** Labels. */
  labels: Record<string, string>;
  /** Annotations. */
  annotations: Record<string, string>;
  /** ISO 8601. */
  startsAt: string;
  /** ISO 8601. */
  endsAt: string;
  /** `state` is `active`, `suppressed` or `unprocessed`. */
  status: { state: string };
}

/** A running Alertmanager. */
export interface AlertmanagerServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Its log so far (stderr). */
  readonly log: string[];
  /**
   * The alerts it lists whose labels include `labels` (exact matches);
   * resolved ones are not listed (Alertmanager hides alerts whose `endsAt`
   * has passed).
   */
  alerts(labels: Record<string, string>): Promise<GettableAlert[]>;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and removes its directory. */
  stop(): Promise<void>;
}

/** Why the Alertmanager tests cannot run here, or null when they can. */
export function alertmanagerSkipReason(): string | null {
  try {
    if (Deno.statSync(ALERTMANAGER_BIN).isFile) return null;
  } catch {
    // absent
  }
  return `${ALERTMANAGER_BIN} is not installed (Debian package prometheus-alertmanager)`;
}

const CONFIG = [
  "route:",
  '  receiver: "null"',
  "receivers:",
  '  - name: "null"',
  "",
].join("\n");

/**
 * Starts Alertmanager on `port` (default: a free one) and waits until
 * `GET /-/ready` answers 200.
 */
export async function startAlertmanager(
  options: { port?: number } = {},
): Promise<AlertmanagerServer> {
  const dir = await Deno.makeTempDir({ prefix: "portsyncd-alertmanager-" });
  await Deno.writeTextFile(`${dir}/alertmanager.yml`, CONFIG);
  const port = options.port ?? freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = new Deno.Command(ALERTMANAGER_BIN, {
    args: [
      `--config.file=${dir}/alertmanager.yml`,
      `--storage.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
    ],
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

  async function alerts(
    labels: Record<string, string>,
  ): Promise<GettableAlert[]> {
    const query = new URLSearchParams({ active: "true" });
    for (const [name, value] of Object.entries(labels)) {
      query.append("filter", `${name}=${JSON.stringify(value)}`);
    }
    const response = await fetch(`${url}/api/v2/alerts?${query}`);
    if (!response.ok) {
      throw new Error(
        `alertmanager GET alerts: HTTP ${response.status} ${await response
          .text()}`,
      );
    }
    return await response.json() as GettableAlert[];
  }

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
    await waitFor("alertmanager to be ready", async () => {
      if (exited) throw new Error(`alertmanager exited:\n${log.join("\n")}`);
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
  return { url, log, alerts, stop };
}
