/**
 * CONFIG_DB tables followed live on a real Redis: keyspace notifications
 * when the server sends them, periodic reads when it does not.
 * @module
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/log/mod.ts";
import { RedisStore } from "../../src/store/redis_store.ts";
import {
  followConfigTables,
  type TableContents,
} from "../../src/alerting/config_follower.ts";
import { waitFor } from "../helpers/daemon.ts";
import {
  REDIS_AVAILABLE,
  type RedisServer,
  withRedis,
} from "../helpers/redis_server.ts";

const TABLES = ["PORTSYNCD_ALERT_RULE", "PORTSYNCD_ALERT_SUPPRESS"];

async function follow(
  server: RedisServer,
  body: (state: {
    last: () => TableContents | null;
    logs: string[];
    store: RedisStore;
  }) => Promise<void>,
): Promise<void> {
  const store = await RedisStore.connect(server.dbConfig, {
    databases: ["CONFIG_DB"],
  });
  let last: TableContents | null = null;
  const logs: string[] = [];
  const follower = await followConfigTables({
    config: store.db("CONFIG_DB"),
    tables: TABLES,
    onChange: (contents) => last = contents,
    log: createLogger("info", { sink: (line) => logs.push(line) }),
    pollMs: 50,
  });
  try {
    await body({ last: () => last, logs, store });
  } finally {
    await follower.close();
    await store.close();
  }
}

function rule(contents: TableContents | null, id: string) {
  return contents?.get("PORTSYNCD_ALERT_RULE")?.get(id);
}

Deno.test({
  name:
    "config follower: rules added, changed and deleted in CONFIG_DB arrive through keyspace notifications",
  ignore: !REDIS_AVAILABLE,
  fn: () =>
    withRedis(async (server) => {
      await server.cli("CONFIG", "SET", "notify-keyspace-events", "KEA");
      await server.cli(
        "-n",
        "4",
        "HSET",
        "PORTSYNCD_ALERT_RULE|a",
        "metric",
        "x",
      );
      await follow(server, async ({ last, logs }) => {
        assert.deepEqual(rule(last(), "a"), { metric: "x" }, "read at start");
        await server.cli(
          "-n",
          "4",
          "HSET",
          "PORTSYNCD_ALERT_RULE|b",
          "metric",
          "y",
        );
        await server.cli("-n", "4", "SET", "PORTSYNCD_ALERT_RULE|junk", "1");
        await waitFor("rule b", () => rule(last(), "b") !== undefined);
        assert.equal(
          rule(last(), "junk"),
          undefined,
          "a non-hash key is skipped",
        );
        await server.cli(
          "-n",
          "4",
          "HSET",
          "PORTSYNCD_ALERT_SUPPRESS|a",
          "until",
          "",
        );
        await waitFor(
          "the suppression",
          () => last()?.get("PORTSYNCD_ALERT_SUPPRESS")?.has("a") === true,
        );
        await server.cli("-n", "4", "DEL", "PORTSYNCD_ALERT_RULE|a");
        await waitFor("rule a gone", () => rule(last(), "a") === undefined);
        assert.deepEqual(logs, [], "no warning with notifications on");
      });
    }),
});

Deno.test({
  name:
    "config follower: without keyspace notifications it says so once and reads periodically",
  ignore: !REDIS_AVAILABLE,
  fn: () =>
    withRedis(async (server) => {
      await server.cli("CONFIG", "SET", "notify-keyspace-events", "");
      await follow(server, async ({ last, logs }) => {
        assert.equal(rule(last(), "c"), undefined);
        await server.cli(
          "-n",
          "4",
          "HSET",
          "PORTSYNCD_ALERT_RULE|c",
          "metric",
          "z",
        );
        await waitFor(
          "rule c by polling",
          () => rule(last(), "c") !== undefined,
        );
        assert.equal(logs.length, 1);
        assert.match(logs[0], /^WARN CONFIG_DB keyspace notifications are off/);
      });
    }),
});
