/**
 * The load harness's plot as plain SVG text (no plotting library): three
 * panels, single-change latency percentiles against the offered storm rate
 * (log scale), CPU of the daemon and of Redis per storm, and RSS over the
 * whole run with the storms shaded.
 * @module
 */

import type { LoadResult, PhaseLatency } from "./report.ts";
import { rateLabel as label } from "./storm.ts";

const WIDTH = 960;
const PANEL_HEIGHT = 240;
const GAP = 90;
const TOP = 84;
const LEFT = 80;
const RIGHT = 180;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
const FONT = `font-family="sans-serif"`;

/** Escapes text for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;")
    .replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function fixed(value: number): string {
  return String(Math.round(value * 10) / 10);
}

function textAt(
  x: number,
  y: number,
  content: string,
  attributes = "",
): string {
  const size = attributes.includes("font-size=") ? "" : ` font-size="12"`;
  return `<text x="${fixed(x)}" y="${fixed(y)}" ${FONT}${size} ${attributes}>${
    escapeXml(content)
  }</text>`;
}

/** A step of 1, 2 or 5 × 10^k giving about `count` ticks up to `max`. */
function niceStep(max: number, count: number): number {
  const raw = Math.max(max, 1e-9) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) {
    if (raw <= factor * power) return factor * power;
  }
  return 10 * power;
}

/** One panel's frame: position, title, y axis label. */
interface Panel {
  top: number;
  parts: string[];
}

function panel(index: number, title: string, yLabel: string): Panel {
  const top = TOP + index * (PANEL_HEIGHT + GAP);
  const parts = [
    `<g class="panel" id="panel-${index + 1}">`,
    textAt(LEFT, top - 12, title, `font-size="14" font-weight="bold"`),
    `<rect x="${LEFT}" y="${top}" width="${PLOT_WIDTH}" height="${PANEL_HEIGHT}" fill="none" stroke="#444"/>`,
    textAt(
      18,
      top + PANEL_HEIGHT / 2,
      yLabel,
      `text-anchor="middle" transform="rotate(-90 18 ${
        fixed(top + PANEL_HEIGHT / 2)
      })"`,
    ),
  ];
  return { top, parts };
}

function legend(p: Panel, entries: [string, string, string?][]): void {
  entries.forEach(([name, color, dash], index) => {
    const y = p.top + 16 + index * 20;
    const x = LEFT + PLOT_WIDTH + 16;
    p.parts.push(
      `<line x1="${x}" y1="${y}" x2="${
        x + 24
      }" y2="${y}" stroke="${color}" stroke-width="2"${
        dash ? ` stroke-dasharray="${dash}"` : ""
      }/>`,
      textAt(x + 30, y + 4, name),
    );
  });
}

function yGrid(
  p: Panel,
  ticks: number[],
  y: (value: number) => number,
  format: (value: number) => string,
): void {
  for (const tick of ticks) {
    const at = fixed(y(tick));
    p.parts.push(
      `<line x1="${LEFT}" y1="${at}" x2="${
        LEFT + PLOT_WIDTH
      }" y2="${at}" stroke="#ddd"/>`,
      textAt(LEFT - 6, y(tick) + 4, format(tick), `text-anchor="end"`),
    );
  }
}

function categoryX(count: number): (index: number) => number {
  const step = PLOT_WIDTH / count;
  return (index) => LEFT + step * (index + 0.5);
}

/** A latency line: name, the value it draws, colour, dash pattern. */
type Series = [string, (latency: PhaseLatency) => number, string, string?];

function latencyPanel(result: LoadResult): string[] {
  const p = panel(
    0,
    "Single-change latency: RTM_SETLINK sent (kernel RTM_NEWLINK) → STATE_DB keyspace notification",
    "µs (log scale)",
  );
  const phases = [
    { name: "idle", latency: result.idle.latency },
    ...result.storms.map((storm) => ({
      name: label(storm.offered_rate),
      latency: storm.latency,
    })),
  ];
  // Solid: from the request (the kernel sends RTM_NEWLINK inside the
  // sendto). Dashed: from the moment the probe's own link socket delivered
  // the RTM_NEWLINK, which hides the wake-up both sockets share.
  const series: Series[] = [
    ["p50", (l) => l.from_request.p50_us, "#1b9e77"],
    ["p95", (l) => l.from_request.p95_us, "#d95f02"],
    ["p99", (l) => l.from_request.p99_us, "#7570b3"],
    ["max", (l) => l.from_request.max_us, "#999999", "2 3"],
    ["p50 probe socket", (l) => l.p50_us, "#66c2a5", "6 4"],
    ["p99 probe socket", (l) => l.p99_us, "#a6a1d6", "6 4"],
  ];
  const values = phases.flatMap(({ latency }) =>
    latency.samples > 0 ? series.map(([, pick]) => pick(latency)) : []
  ).filter((value) => value > 0);
  const low = Math.floor(Math.log10(Math.min(...values, 10)));
  const high = Math.max(
    low + 1,
    Math.ceil(Math.log10(Math.max(...values, 10))),
  );
  const y = (us: number) =>
    p.top + PANEL_HEIGHT -
    (Math.log10(Math.max(us, 10 ** low)) - low) / (high - low) * PANEL_HEIGHT;
  const ticks = Array.from(
    { length: high - low + 1 },
    (_, i) => 10 ** (low + i),
  );
  yGrid(
    p,
    ticks,
    y,
    (value) => value >= 1000 ? `${value / 1000} ms` : `${value}`,
  );
  const x = categoryX(phases.length);
  phases.forEach((phase, index) => {
    p.parts.push(
      textAt(
        x(index),
        p.top + PANEL_HEIGHT + 18,
        phase.name,
        `text-anchor="middle"`,
      ),
      textAt(
        x(index),
        p.top + PANEL_HEIGHT + 32,
        `n=${phase.latency.samples}`,
        `text-anchor="middle" font-size="10" fill="#666"`,
      ),
    );
  });
  p.parts.push(
    textAt(
      LEFT + PLOT_WIDTH / 2,
      p.top + PANEL_HEIGHT + 50,
      "offered storm rate (changes/s); the probe changes its own port meanwhile",
      `text-anchor="middle"`,
    ),
  );
  for (const [name, pick, color, dash] of series) {
    const points = phases.flatMap((phase, index) =>
      phase.latency.samples > 0
        ? [[x(index), y(pick(phase.latency)), pick(phase.latency)]]
        : []
    );
    p.parts.push(
      `<polyline class="series" data-series="${name}" fill="none" stroke="${color}" stroke-width="2"${
        dash ? ` stroke-dasharray="${dash}"` : ""
      } points="${
        points.map(([px, py]) => `${fixed(px)},${fixed(py)}`).join(" ")
      }"/>`,
    );
    for (const [px, py, value] of points) {
      p.parts.push(
        `<circle cx="${fixed(px)}" cy="${
          fixed(py)
        }" r="3" fill="${color}"><title>${name} ${value} µs</title></circle>`,
      );
    }
  }
  legend(p, series.map(([name, , color, dash]) => [name, color, dash]));
  p.parts.push("</g>");
  return p.parts;
}

function cpuPanel(result: LoadResult): string[] {
  const p = panel(
    1,
    `CPU per storm (${result.options.storm_changes} ${
      result.options.storm_kind ?? "admin+mtu"
    } changes, ${result.options.parallel} parallel ip -batch)`,
    "CPU ms (utime + stime)",
  );
  const storms = result.storms;
  const max = Math.max(
    1,
    ...storms.map((s) => Math.max(s.cpu_ms.daemon, s.cpu_ms.redis)),
  );
  const step = niceStep(max * 1.1, 5);
  const top = Math.ceil(max * 1.1 / step) * step;
  const y = (ms: number) => p.top + PANEL_HEIGHT - ms / top * PANEL_HEIGHT;
  const ticks = Array.from(
    { length: Math.round(top / step) + 1 },
    (_, i) => i * step,
  );
  yGrid(p, ticks, y, (value) => `${Math.round(value)}`);
  const x = categoryX(Math.max(1, storms.length));
  const bar = Math.min(40, PLOT_WIDTH / Math.max(1, storms.length) / 3);
  storms.forEach((storm, index) => {
    const bars: [string, number, string][] = [
      ["daemon", storm.cpu_ms.daemon, "#1f77b4"],
      ["redis", storm.cpu_ms.redis, "#d62728"],
    ];
    bars.forEach(([name, value, color], k) => {
      const left = x(index) - bar + k * bar;
      p.parts.push(
        `<rect class="bar" data-series="${name}" x="${fixed(left)}" y="${
          fixed(y(value))
        }" width="${fixed(bar - 2)}" height="${
          fixed(p.top + PANEL_HEIGHT - y(value))
        }" fill="${color}"><title>${name} ${value} ms</title></rect>`,
        textAt(
          left + bar / 2 - 1,
          y(value) - 4,
          `${Math.round(value)}`,
          `text-anchor="middle" font-size="10"`,
        ),
      );
    });
    p.parts.push(
      textAt(
        x(index),
        p.top + PANEL_HEIGHT + 18,
        label(storm.offered_rate),
        `text-anchor="middle"`,
      ),
      textAt(
        x(index),
        p.top + PANEL_HEIGHT + 32,
        `took ${label(storm.achieved_rate)}`,
        `text-anchor="middle" font-size="10" fill="#666"`,
      ),
      textAt(
        x(index),
        p.top + PANEL_HEIGHT + 45,
        storm.convergence_ms === null
          ? "never converged"
          : `converged ${Math.round(storm.convergence_ms)} ms`,
        `text-anchor="middle" font-size="10" fill="#666"`,
      ),
    );
  });
  legend(p, [["portsyncd", "#1f77b4"], ["redis-server", "#d62728"]]);
  p.parts.push("</g>");
  return p.parts;
}

function rssPanel(result: LoadResult): string[] {
  const p = panel(2, "Resident memory over the run (VmRSS)", "MiB");
  const samples = result.rss_samples;
  const end = Math.max(1, ...samples.map((s) => s.t_ms));
  const max = Math.max(
    1,
    ...samples.map((s) => Math.max(s.daemon_mib, s.redis_mib)),
  );
  const step = niceStep(max, 5);
  const top = Math.ceil(max / step) * step;
  const x = (ms: number) => LEFT + ms / end * PLOT_WIDTH;
  const y = (mib: number) => p.top + PANEL_HEIGHT - mib / top * PANEL_HEIGHT;
  for (const [index, storm] of result.storms.entries()) {
    const left = x(storm.start_ms);
    p.parts.push(
      `<rect class="storm" x="${fixed(left)}" y="${p.top}" width="${
        fixed(Math.max(1, x(storm.end_ms) - left))
      }" height="${PANEL_HEIGHT}" fill="${
        index % 2 === 0 ? "#f2e6c9" : "#e3edf5"
      }"/>`,
      textAt(
        left + 2,
        p.top + 12,
        label(storm.offered_rate),
        `font-size="10" fill="#8a6d3b"`,
      ),
    );
  }
  const ticks = Array.from(
    { length: Math.round(top / step) + 1 },
    (_, i) => i * step,
  );
  yGrid(p, ticks, y, (value) => `${Math.round(value)}`);
  const timeStep = niceStep(end / 1000, 8);
  for (let t = 0; t <= end / 1000 + 1e-9; t += timeStep) {
    p.parts.push(
      textAt(
        x(t * 1000),
        p.top + PANEL_HEIGHT + 18,
        `${Math.round(t * 10) / 10}`,
        `text-anchor="middle"`,
      ),
    );
  }
  p.parts.push(
    textAt(
      LEFT + PLOT_WIDTH / 2,
      p.top + PANEL_HEIGHT + 36,
      "seconds since the daemon started (storms shaded)",
      `text-anchor="middle"`,
    ),
  );
  const series: [string, "daemon_mib" | "redis_mib", string][] = [
    ["portsyncd", "daemon_mib", "#1f77b4"],
    ["redis-server", "redis_mib", "#d62728"],
  ];
  for (const [name, field, color] of series) {
    p.parts.push(
      `<polyline class="series" data-series="${name}" fill="none" stroke="${color}" stroke-width="1.5" points="${
        samples.map((s) => `${fixed(x(s.t_ms))},${fixed(y(s[field]))}`).join(
          " ",
        )
      }"/>`,
    );
  }
  legend(p, series.map(([name, , color]) => [name, color]));
  p.parts.push("</g>");
  return p.parts;
}

/**
 * Renders the whole plot as one SVG document.
 *
 * @example
 * ```ts ignore
 * await Deno.writeTextFile("latest.svg", renderSvg(result));
 * ```
 */
export function renderSvg(result: LoadResult): string {
  const height = TOP + 3 * (PANEL_HEIGHT + GAP);
  const subtitle =
    `${
      result.date.slice(0, 10)
    } · ${result.setup.ports} ports · ${result.setup.rules} rules · ` +
    `${result.machine.cores} cores (${result.machine.cpu}), shared · commit ${result.machine.commit}` +
    (result.ok ? "" : " · STATE_DB NOT EQUAL TO THE KERNEL");
  return [
    // Generated: `deno fmt` (which formats SVG) leaves it as written. A
    // comment may come first; an XML declaration could not, so none.
    `<!-- deno-fmt-ignore-file -->`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    textAt(
      LEFT,
      22,
      "portsyncd load harness (deno task load)",
      `font-size="16" font-weight="bold"`,
    ),
    textAt(LEFT, 40, subtitle, `font-size="11" fill="#444"`),
    ...latencyPanel(result),
    ...cpuPanel(result),
    ...rssPanel(result),
    `</svg>`,
    "",
  ].join("\n");
}
