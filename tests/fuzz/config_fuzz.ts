/**
 * Worker module: the configuration fuzz cases. Each case builds a hostile
 * portsyncd.conf or database_config.json (see `config_mutate.ts`) and loads
 * it the way the daemon does (bytes → strict UTF-8 → parse → schema →
 * cross-checks; one case in 200 through a real file). The property: the
 * loader returns a valid configuration or throws a `ConfigError` whose every
 * problem is one line (no newline, no control character), starts with the
 * file name and is bounded in length; nothing else is ever thrown. JSON
 * syntax errors are also checked against `JSON.parse`: the locator finds an
 * error exactly when `JSON.parse` refuses the text. Run by
 * `config_fuzz_test.ts`.
 * @module
 */

import assert from "node:assert/strict";
import {
  type Config,
  ConfigError,
  type DbConfig,
  decodeConfigText,
  loadConfig,
  loadDbConfig,
  locateJsonError,
  MAX_CONFIG_BYTES,
  MAX_PROBLEM_LENGTH,
  MAX_PROBLEMS_PER_FILE,
  parseConfig,
  parseDbConfigText,
  requireDatabases,
  stripBom,
  validateConfig,
} from "../../src/config/mod.ts";
import { fuzzContext, type Random, serveFuzz } from "./harness.ts";
import {
  below,
  mutateBytes,
  mutateData,
  mutateText,
  randomBytes,
  serialize,
  VALID_DB_JSON,
  VALID_TOML,
} from "./config_mutate.ts";

/** The databases port sync needs (as `src/config/settings.ts` asks for them). */
const REQUIRED = ["APPL_DB", "CONFIG_DB", "STATE_DB"];

// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\ufeff]/;

interface Input {
  toml: boolean;
  bytes: Uint8Array;
}

/** A hostile file: random bytes (5%), a huge one (0.2%), else a mutated valid one. */
function makeInput(random: Random): Input {
  const toml = below(random, 2) === 0;
  const roll = below(random, 1000);
  if (roll < 50) {
    return { toml, bytes: randomBytes(random, below(random, 2000)) };
  }
  const data = structuredClone(toml ? VALID_TOML : VALID_DB_JSON);
  if (roll < 52) {
    const size = MAX_CONFIG_BYTES - 200 + below(random, 400);
    const table = (toml ? data.log : data.INSTANCES) as Record<string, unknown>;
    table.huge = "x".repeat(size);
  } else if (below(random, 10) !== 0) {
    mutateData(random, data, toml);
  }
  const text = serialize(data, toml) ??
    serialize(toml ? VALID_TOML : VALID_DB_JSON, toml)!;
  return { toml, bytes: mutateBytes(random, mutateText(random, text)) };
}

/** The returned configuration is one the schema accepts, rules included. */
function checkConfig(config: Config): void {
  assert.deepEqual(
    validateConfig(structuredClone(config), { source: "again" }),
    config,
  );
  assert.ok(config.store.reconnect_initial_ms <= config.store.reconnect_max_ms);
  assert.ok(config.store.reconnect_max_ms <= 2 ** 31 - 1);
  assert.ok(config.store.max_pending_writes >= config.sync.max_batch);
}

/** The required databases of the map are complete and well-formed. */
function checkDbConfig(config: DbConfig): void {
  const required = requireDatabases(config, REQUIRED);
  const seen = new Set<string>();
  for (const info of required) {
    const name = info.name;
    assert.ok(Number.isInteger(info.id) && info.id >= 0 && info.id <= 255);
    assert.ok(info.separator === ":" || info.separator === "|");
    assert.ok(info.instance.port >= 1 && info.instance.port <= 65535);
    const where = `${info.instance.unixSocketPath}|${info.instance.hostname}|` +
      `${info.instance.port}|${info.id}`;
    assert.ok(!seen.has(where), `${name} shares a database`);
    seen.add(where);
  }
}

/** Every problem is one safe, bounded line starting with the file name. */
function checkProblems(problems: string[], source: string): void {
  assert.ok(problems.length > 0, "a ConfigError with no problem");
  assert.ok(
    problems.length <= MAX_PROBLEMS_PER_FILE,
    `${problems.length} problem lines`,
  );
  for (const line of problems) {
    assert.equal(typeof line, "string");
    assert.ok(!UNSAFE.test(line), `unsafe line ${JSON.stringify(line)}`);
    assert.ok(line.length <= MAX_PROBLEM_LENGTH, `line of ${line.length}`);
    assert.ok(line.startsWith(`${source}:`), `unnamed file: ${line}`);
  }
}

/** `locateJsonError` agrees with `JSON.parse` on whether the text is valid. */
function checkJsonLocator(text: string): void {
  const json = stripBom(text);
  let valid = true;
  try {
    JSON.parse(json);
  } catch {
    valid = false;
  }
  const located = locateJsonError(json);
  assert.equal(
    located === null,
    valid,
    `JSON.parse says ${valid ? "valid" : "invalid"}, the locator ${
      JSON.stringify(located)
    }`,
  );
}

function classify(line: string): string {
  if (line.includes("invalid TOML")) return "toml-syntax";
  if (line.includes("invalid JSON")) return "json-syntax";
  if (line.includes("not valid UTF-8")) return "bad-utf8";
  if (line.includes("too large")) return "too-large";
  if (line.endsWith("unknown key")) return "unknown-key";
  if (/ is (above|below) |database too/.test(line)) return "cross-check";
  if (line.endsWith(": missing")) return "missing";
  return "bad-value";
}

async function load(input: Input, source: string, viaFile: boolean) {
  if (viaFile) {
    await Deno.writeFile(source, input.bytes);
    if (input.toml) return checkConfig(await loadConfig(source));
    return checkDbConfig(await loadDbConfig(source));
  }
  const text = decodeConfigText(input.bytes, { source });
  if (input.toml) return checkConfig(parseConfig(text, { source }));
  checkJsonLocator(text);
  const config = parseDbConfigText(text, { source });
  checkDbConfig(config);
}

function excerpt(bytes: Uint8Array): string {
  const head = new TextDecoder().decode(bytes.subarray(0, 400));
  return `${bytes.length} bytes, starting ${JSON.stringify(head)}`;
}

serveFuzz(async (random) => {
  const input = makeInput(random);
  const viaFile = below(random, 200) === 0;
  const name = input.toml ? "portsyncd.conf" : "database_config.json";
  const source = viaFile ? `${fuzzContext() as string}/${name}` : name;
  const kind = input.toml ? "toml" : "json";
  try {
    await load(input, source, viaFile);
    return `${kind}:valid`;
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      throw new Error(
        `${kind} input (${excerpt(input.bytes)}) threw ${
          error instanceof Error ? error.stack : String(error)
        }`,
      );
    }
    try {
      checkProblems(error.problems, source);
    } catch (broken) {
      throw new Error(
        `${kind} input (${excerpt(input.bytes)}): ${String(broken)}`,
      );
    }
    return `${kind}:${classify(error.problems[0])}`;
  }
});
