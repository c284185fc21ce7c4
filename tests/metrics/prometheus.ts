/**
 * A real Prometheus server for the metrics integration test: its own temp
 * config and TSDB directory, a free port, a 1 s scrape of one target, and
 * its HTTP query API. Stop it in a `finally`.
 * @module
 */

import { startReadyServer } from "../helpers/ready_server.ts";
import { freePort } from "./free_port.ts";

/** The Debian package's binary. */
export const PROMETHEUS_BIN = "/usr/bin/prometheus";

/** A running Prometheus. */
export interface PrometheusServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Its log so far (stderr). */
  readonly log: string[];
  /** The value of instant query `query`'s first series, or null when empty. */
  query(query: string): Promise<number | null>;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and removes its directory. */
  stop(): Promise<void>;
}

/** True when the Prometheus binary is installed. */
export function prometheusAvailable(): boolean {
  try {
    return Deno.statSync(PROMETHEUS_BIN).isFile;
  } catch {
    return false;
  }
}

/**
 * Starts Prometheus scraping `target` (`HOST:PORT`, path /metrics) every
 * second and waits until its API answers.
 */
export async function startPrometheus(
  target: string,
): Promise<PrometheusServer> {
  const port = freePort();
  const server = await startReadyServer({
    bin: PROMETHEUS_BIN,
    name: "prometheus",
    config: {
      file: "prometheus.yml",
      text: [
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 1s",
        "scrape_configs:",
        "  - job_name: portsyncd",
        "    static_configs:",
        `      - targets: ["${target}"]`,
        "",
      ].join("\n"),
    },
    port,
    args: (dir) => [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
  });

  async function query(text: string): Promise<number | null> {
    const response = await fetch(
      `${server.url}/api/v1/query?query=${encodeURIComponent(text)}`,
    );
    const body = await response.json();
    if (body.status !== "success") {
      throw new Error(`prometheus query ${text}: ${JSON.stringify(body)}`);
    }
    const first = body.data.result[0];
    return first === undefined ? null : Number(first.value[1]);
  }

  return { ...server, query };
}
