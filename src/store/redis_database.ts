/**
 * One database of a `RedisStore`: the `Database` interface over its
 * `RedisConnection` (ordered, re-sent across reconnects) and its instance's
 * shared keyspace subscriber.
 * @module
 */

import { createHash } from "node:crypto";
import type {
  KeyspaceSubscriber,
  KeyWatch,
  WatchKeysOptions,
} from "./key_watch.ts";
import { errorText, type RedisConnection } from "./redis_connection.ts";
import {
  type Database,
  type Fields,
  opKey,
  type OpResult,
  type ScriptReply,
  type StoreOp,
  StoreReplyError,
  type StoreScript,
} from "./types.ts";

const SCAN_COUNT = "1000";

const shaCache = new WeakMap<StoreScript, string>();

function scriptSha(script: StoreScript): string {
  let sha = shaCache.get(script);
  if (sha === undefined) {
    sha = createHash("sha1").update(script.lua).digest("hex");
    shaCache.set(script, sha);
  }
  return sha;
}

/** One database of a `RedisStore`. */
export class RedisDatabase implements Database {
  readonly name: string;
  readonly id: number;
  readonly separator: ":" | "|";
  /** The ordered, re-sending connection of this database. */
  readonly connection: RedisConnection;
  readonly #subscriber: KeyspaceSubscriber;

  /** Wraps a database's connection and its instance's keyspace subscriber. */
  constructor(
    info: { name: string; id: number; separator: ":" | "|" },
    links: { connection: RedisConnection; subscriber: KeyspaceSubscriber },
  ) {
    this.name = info.name;
    this.id = info.id;
    this.separator = info.separator;
    this.connection = links.connection;
    this.#subscriber = links.subscriber;
  }

  watch(options: WatchKeysOptions): Promise<KeyWatch> {
    return this.#subscriber.watch(this.id, options);
  }

  async hgetall(key: string): Promise<Fields> {
    return toFields(await this.#one(["HGETALL", key]));
  }

  async hget(key: string, field: string): Promise<string | null> {
    const reply = await this.#one(["HGET", key, field]);
    return reply === null ? null : String(reply);
  }

  async exists(key: string): Promise<boolean> {
    return Number(await this.#one(["EXISTS", key])) > 0;
  }

  async scan(pattern: string): Promise<string[]> {
    const keys = new Set<string>();
    let cursor = "0";
    do {
      const reply = await this.#one(
        ["SCAN", cursor, "MATCH", pattern, "COUNT", SCAN_COUNT],
      ) as [string, string[]];
      cursor = String(reply[0]);
      for (const key of reply[1]) keys.add(String(key));
    } while (cursor !== "0");
    return [...keys];
  }

  async hset(key: string, fields: Fields): Promise<void> {
    const command = hsetCommand(key, fields);
    if (command !== null) await this.#one(command);
  }

  async del(key: string): Promise<void> {
    await this.#one(["DEL", key]);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#one(["PUBLISH", channel, message]);
  }

  async eval(
    script: StoreScript,
    keys: string[],
    args: string[],
  ): Promise<ScriptReply> {
    return await this.#one(
      this.#evalCommand(script, keys, args),
    ) as ScriptReply;
  }

  /** One pipeline; rejects with the first command error (the rest ran). */
  async batch(ops: StoreOp[]): Promise<OpResult[]> {
    const results = await this.batchSettled(ops);
    const refused = results.find((result) => result instanceof StoreReplyError);
    if (refused !== undefined) throw refused;
    return results as OpResult[];
  }

  /** One pipeline; a refused command gives its error in its slot. */
  async batchSettled(ops: StoreOp[]): Promise<(OpResult | StoreReplyError)[]> {
    const commands: string[][] = [];
    const slots: number[] = [];
    for (const op of ops) {
      const command = this.#command(op);
      slots.push(command === null ? -1 : commands.length);
      if (command !== null) commands.push(command);
    }
    const outcomes = commands.length === 0
      ? []
      : await this.connection.request(commands);
    return ops.map((op, index) => {
      const slot = slots[index];
      if (slot === -1) return 0;
      const outcome = outcomes[slot];
      if (!outcome.ok) {
        return this.#error(commands[slot], outcome.error, opKey(op));
      }
      return toResult(op, outcome.value);
    });
  }

  #command(op: StoreOp): string[] | null {
    switch (op.op) {
      case "hset":
        return hsetCommand(op.key, op.fields);
      case "del":
        return ["DEL", op.key];
      case "publish":
        return ["PUBLISH", op.channel, op.message];
      case "eval":
        return this.#evalCommand(op.script, op.keys, op.args);
      case "hgetall":
        return ["HGETALL", op.key];
      case "exists":
        return ["EXISTS", op.key];
    }
  }

  #evalCommand(script: StoreScript, keys: string[], args: string[]): string[] {
    const sha = scriptSha(script);
    this.connection.registerScript(sha, script.lua);
    return ["EVALSHA", sha, String(keys.length), ...keys, ...args];
  }

  async #one(command: string[]): Promise<unknown> {
    const outcomes = await this.connection.request([command]);
    const outcome = outcomes[0];
    if (!outcome.ok) {
      throw this.#error(command, outcome.error, command[1] ?? null);
    }
    return outcome.value;
  }

  #error(command: string[], error: Error, key: string | null): StoreReplyError {
    const text = errorText(error);
    return new StoreReplyError(
      `redis ${this.name} at ${this.connection.endpoint}: ${command[0]}${
        key === null ? "" : ` ${key}`
      }: ${text}`,
      { code: text.split(" ")[0], key, cause: error },
    );
  }
}

function hsetCommand(key: string, fields: Fields): string[] | null {
  const names = Object.keys(fields);
  if (names.length === 0) return null;
  const command = ["HSET", key];
  for (const name of names) command.push(name, String(fields[name]));
  return command;
}

function toFields(reply: unknown): Fields {
  const fields: Fields = {};
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) {
      fields[String(reply[i])] = String(reply[i + 1]);
    }
  }
  return fields;
}

function toResult(op: StoreOp, value: unknown): OpResult {
  switch (op.op) {
    case "hgetall":
      return toFields(value);
    case "exists":
      return Number(value) > 0;
    case "eval":
      return value as ScriptReply;
    default:
      return Number(value);
  }
}
