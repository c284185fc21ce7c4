/**
 * watchKeys against a real redis-server: events of matching keys only,
 * liveness across a killed subscriber connection and a restarted server,
 * and a watch that never goes live (and says why) when notifications are off.
 * @module
 */

import assert from "node:assert/strict";
import {
  keyspaceEventsCover,
  KeyspaceSubscriber,
  type KeyWatchHandlers,
  type WatchKeysOptions,
} from "../../src/store/key_watch.ts";
import type { RedisServer } from "../helpers/redis_server.ts";
import { REDIS_AVAILABLE, withRedis } from "../helpers/redis_server.ts";
import { waitFor } from "../helpers/daemon.ts";

const ignore = !REDIS_AVAILABLE;

/** A watch on database `id` through a subscriber of its own. */
async function watchKeys(
  server: RedisServer,
  id: number,
  options: WatchKeysOptions,
) {
  const subscriber = new KeyspaceSubscriber(
    server.dbConfig.databases.get("APPL_DB")!.instance,
  );
  const watch = await subscriber.watch(id, options);
  return { subscriber, watch };
}

function recorder() {
  const events: string[] = [];
  const live: boolean[] = [];
  return {
    events,
    live,
    handlers: {
      onEvent: (key: string, event: string) => events.push(`${event} ${key}`),
      onLive: (value: boolean) => live.push(value),
    } satisfies KeyWatchHandlers,
  };
}

Deno.test("keyspaceEventsCover: K plus every class that can add or remove a hash", () => {
  assert.equal(keyspaceEventsCover("AKE"), true);
  assert.equal(keyspaceEventsCover("Kgh$xe"), true);
  assert.equal(keyspaceEventsCover("Kh"), false, "a DEL is a generic event");
  assert.equal(keyspaceEventsCover("AE"), false, "keyevent only");
  assert.equal(keyspaceEventsCover(""), false);
});

Deno.test({
  name: "watchKeys: events of the pattern's keys, in order",
  ignore,
  fn: () =>
    withRedis(async (server) => {
      const seen = recorder();
      const { watch } = await watchKeys(server, 0, {
        pattern: "PORT_TABLE:*",
        handlers: seen.handlers,
      });
      try {
        assert.equal(watch.unavailable, null);
        assert.equal(watch.live, true);
        await server.cli(
          "-n",
          "0",
          "HSET",
          "PORT_TABLE:Ethernet0",
          "mtu",
          "9100",
        );
        await server.cli(
          "-n",
          "0",
          "HSET",
          "_PORT_TABLE:Ethernet4",
          "mtu",
          "1",
        ); // not matched
        await server.cli("-n", "6", "HSET", "PORT_TABLE:Ethernet8", "mtu", "1"); // other db
        await server.cli("-n", "0", "DEL", "PORT_TABLE:Ethernet0");
        await waitFor("two events", () => seen.events.length >= 2);
        assert.deepEqual(seen.events, [
          "hset PORT_TABLE:Ethernet0",
          "del PORT_TABLE:Ethernet0",
        ]);
        assert.deepEqual(seen.live, [true]);
      } finally {
        await watch.close();
      }
    }),
});

Deno.test({
  name:
    "watchKeys: a killed subscriber connection or a restarted server stops and restarts delivery",
  ignore,
  fn: () =>
    withRedis(async (server) => {
      const seen = recorder();
      const { watch } = await watchKeys(server, 0, {
        pattern: "PORT_TABLE:*",
        handlers: seen.handlers,
      });
      try {
        await server.cli("CLIENT", "KILL", "TYPE", "pubsub");
        await waitFor("live again", () => seen.live.length >= 3);
        assert.deepEqual(seen.live, [true, false, true]);
        await server.restart();
        await waitFor("live after the restart", () => seen.live.length >= 5);
        assert.deepEqual(seen.live.slice(3), [false, true]);
        // Delivery works again (node-redis re-subscribed before ready).
        await server.cli("-n", "0", "HSET", "PORT_TABLE:Ethernet0", "mtu", "1");
        await waitFor("the event", () => seen.events.length >= 1);
        assert.deepEqual(seen.events, ["hset PORT_TABLE:Ethernet0"]);
      } finally {
        await watch.close();
      }
    }),
});

Deno.test({
  name: "watchKeys: notifications off, the watch never goes live and says why",
  ignore,
  fn: () =>
    withRedis(async (server) => {
      await server.cli("CONFIG", "SET", "notify-keyspace-events", "Kh");
      const seen = recorder();
      const { watch } = await watchKeys(server, 0, {
        pattern: "PORT_TABLE:*",
        handlers: seen.handlers,
      });
      assert.equal(watch.live, false);
      assert.match(
        watch.unavailable ?? "",
        /^keyspace notifications are off \(notify-keyspace-events "hK"\)$/,
      );
      assert.deepEqual(seen.live, []);
      await watch.close();
    }),
});

Deno.test({
  name:
    "KeyspaceSubscriber: watches of several databases share one connection, closed with the last",
  ignore,
  fn: () =>
    withRedis(async (server) => {
      const pubsubClients = async () =>
        (await server.cli("CLIENT", "LIST", "TYPE", "pubsub"))
          .split("\n").filter((line) => line.trim() !== "").length;
      const appl = recorder();
      const config = recorder();
      const { subscriber, watch: applWatch } = await watchKeys(server, 0, {
        pattern: "PORT_TABLE:*",
        handlers: appl.handlers,
      });
      const configWatch = await subscriber.watch(4, {
        pattern: "LOGGER|*",
        handlers: config.handlers,
      });
      assert.equal(await pubsubClients(), 1);
      await server.cli(
        "-n",
        "4",
        "HSET",
        "LOGGER|portsyncd",
        "LOGLEVEL",
        "INFO",
      );
      await server.cli("-n", "0", "HSET", "PORT_TABLE:Ethernet0", "mtu", "1");
      await waitFor(
        "both events",
        () => appl.events.length + config.events.length >= 2,
      );
      assert.deepEqual(config.events, ["hset LOGGER|portsyncd"]);
      assert.deepEqual(appl.events, ["hset PORT_TABLE:Ethernet0"]);
      await configWatch.close();
      await server.cli("-n", "4", "DEL", "LOGGER|portsyncd");
      await server.cli("-n", "0", "DEL", "PORT_TABLE:Ethernet0");
      await waitFor("the APPL_DB event", () => appl.events.length >= 2);
      assert.deepEqual(
        config.events,
        ["hset LOGGER|portsyncd"],
        "closed watch hears nothing",
      );
      await applWatch.close();
      await waitFor(
        "no subscriber left",
        async () => await pubsubClients() === 0,
      );
    }),
});
