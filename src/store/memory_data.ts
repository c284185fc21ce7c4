/**
 * The data behind `MemoryStore`: one keyspace per database id plus the
 * pub/sub channels, which (as in Redis) are shared by all databases.
 * Everything here is synchronous; `MemoryStore` adds the promise shape.
 * @module
 */

import { globMatch } from "./glob.ts";
import { type Fields, type ScriptData, StoreError } from "./types.ts";

/** A value in the memory keyspace: a hash or a set, as in Redis. */
export type MemoryValue = Map<string, string> | Set<string>;

/** Called with each message published on a subscribed channel. */
export type MessageListener = (message: string, channel: string) => void;

const WRONGTYPE =
  "WRONGTYPE Operation against a key holding the wrong kind of value";

/**
 * One database's keys. Implements the script operations, so emulated Lua
 * scripts run directly against it. Empty hashes and sets disappear, as in
 * Redis.
 */
export class Keyspace implements ScriptData {
  /** The keys, in insertion order. */
  readonly entries: Map<string, MemoryValue> = new Map();
  readonly #data: MemoryData;

  /** Creates an empty keyspace publishing through `data`. */
  constructor(data: MemoryData) {
    this.#data = data;
  }

  /** HSET; returns the number of fields that were new. */
  hset(key: string, fields: Fields): number {
    const names = Object.keys(fields);
    if (names.length === 0) return 0;
    const hash = this.#hash(key) ?? new Map<string, string>();
    let added = 0;
    for (const name of names) {
      if (!hash.has(name)) added++;
      hash.set(name, String(fields[name]));
    }
    this.entries.set(key, hash);
    return added;
  }

  /** HGETALL; an absent key gives `{}`. */
  hgetall(key: string): Fields {
    const hash = this.#hash(key);
    return hash === undefined ? {} : Object.fromEntries(hash);
  }

  /** HGET; an absent key or field gives null. */
  hget(key: string, field: string): string | null {
    return this.#hash(key)?.get(field) ?? null;
  }

  /** HDEL; returns the number of fields removed. */
  hdel(key: string, fields: string[]): number {
    const hash = this.#hash(key);
    if (hash === undefined) return 0;
    let removed = 0;
    for (const field of fields) {
      if (hash.delete(field)) removed++;
    }
    if (hash.size === 0) this.entries.delete(key);
    return removed;
  }

  /** EXISTS for one key. */
  exists(key: string): boolean {
    return this.entries.has(key);
  }

  /** DEL; returns how many keys existed. */
  del(keys: string[]): number {
    let removed = 0;
    for (const key of keys) {
      if (this.entries.delete(key)) removed++;
    }
    return removed;
  }

  /** Keys matching a Redis glob, in insertion order. */
  keys(pattern: string): string[] {
    return [...this.entries.keys()].filter((key) => globMatch(pattern, key));
  }

  /** SADD; returns the number of members added. */
  sadd(key: string, members: string[]): number {
    if (members.length === 0) return 0;
    const set = this.#set(key) ?? new Set<string>();
    let added = 0;
    for (const member of members) {
      if (!set.has(member)) {
        set.add(member);
        added++;
      }
    }
    this.entries.set(key, set);
    return added;
  }

  /** SISMEMBER. */
  sismember(key: string, member: string): boolean {
    return this.#set(key)?.has(member) ?? false;
  }

  /** SMEMBERS, in insertion order. */
  smembers(key: string): string[] {
    return [...(this.#set(key) ?? [])];
  }

  /** SPOP with a count; pops the oldest members first (Redis: random). */
  spop(key: string, count: number): string[] {
    const set = this.#set(key);
    if (set === undefined) return [];
    const popped = [...set].slice(0, Math.max(0, count));
    for (const member of popped) set.delete(member);
    if (set.size === 0) this.entries.delete(key);
    return popped;
  }

  /** SREM; returns the number of members removed. */
  srem(key: string, members: string[]): number {
    const set = this.#set(key);
    if (set === undefined) return 0;
    let removed = 0;
    for (const member of members) {
      if (set.delete(member)) removed++;
    }
    if (set.size === 0) this.entries.delete(key);
    return removed;
  }

  /** PUBLISH; returns the number of receivers. */
  publish(channel: string, message: string): number {
    return this.#data.publish(channel, message);
  }

  #hash(key: string): Map<string, string> | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    if (!(value instanceof Map)) throw new StoreError(WRONGTYPE);
    return value;
  }

  #set(key: string): Set<string> | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    if (!(value instanceof Set)) throw new StoreError(WRONGTYPE);
    return value;
  }
}

/**
 * State that several `MemoryStore` views may share: keyspaces by database
 * id and channel subscribers.
 *
 * @example
 * ```ts
 * const data = new MemoryData();
 * data.keyspace(0).hset("PORT_TABLE:Ethernet0", { mtu: "9100" });
 * ```
 */
export class MemoryData {
  readonly #keyspaces = new Map<number, Keyspace>();
  readonly #subscribers = new Map<string, Set<MessageListener>>();

  /** The keyspace of database `id`, created empty on first use. */
  keyspace(id: number): Keyspace {
    let keyspace = this.#keyspaces.get(id);
    if (keyspace === undefined) {
      keyspace = new Keyspace(this);
      this.#keyspaces.set(id, keyspace);
    }
    return keyspace;
  }

  /**
   * Adds a channel listener; returns a function removing it. Messages are
   * delivered in a microtask after the publishing operation, in order.
   */
  subscribe(channel: string, listener: MessageListener): () => void {
    let listeners = this.#subscribers.get(channel);
    if (listeners === undefined) {
      listeners = new Set();
      this.#subscribers.set(channel, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }

  /** Delivers a message to the channel's listeners; returns their count. */
  publish(channel: string, message: string): number {
    const listeners = [...(this.#subscribers.get(channel) ?? [])];
    for (const listener of listeners) {
      queueMicrotask(() => listener(message, channel));
    }
    return listeners.length;
  }
}
