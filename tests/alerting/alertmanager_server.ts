/**
 * A real Prometheus Alertmanager (Debian `prometheus-alertmanager`) for the
 * integration tests: its own temp config (one route to a receiver that
 * notifies nobody) and storage directory, a free port, clustering off, and
 * its v2 alert list. Stop it in a `finally`.
 * @module
 */

import { startReadyServer } from "../helpers/ready_server.ts";
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
  const port = options.port ?? freePort();
  const server = await startReadyServer({
    bin: ALERTMANAGER_BIN,
    name: "alertmanager",
    config: { file: "alertmanager.yml", text: CONFIG },
    port,
    args: (dir) => [
      `--config.file=${dir}/alertmanager.yml`,
      `--storage.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
    ],
  });

  async function alerts(
    labels: Record<string, string>,
  ): Promise<GettableAlert[]> {
    const query = new URLSearchParams({ active: "true" });
    for (const [name, value] of Object.entries(labels)) {
      query.append("filter", `${name}=${JSON.stringify(value)}`);
    }
    const response = await fetch(`${server.url}/api/v2/alerts?${query}`);
    if (!response.ok) {
      throw new Error(
        `alertmanager GET alerts: HTTP ${response.status} ${await response
          .text()}`,
      );
    }
    return await response.json() as GettableAlert[];
  }

  return { ...server, alerts };
}
