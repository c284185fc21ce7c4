/**
 * A minimal Redis connection over a unix socket for the load harness: a few
 * commands, then subscriptions whose messages are stamped with the time
 * their bytes arrived (`performance.now()` when the read returned), so a
 * keyspace notification's timestamp carries no client library's parsing.
 * RESP2 only.
 * @module
 */

/** A RESP2 reply. */
export type RespValue = string | number | null | RespValue[] | RespError;

/** An error reply (`-ERR ...`). */
export class RespError {
  /** The error text. */
  readonly message: string;

  /** Wraps the text of an error reply. */
  constructor(message: string) {
    this.message = message;
  }
}

/** A message received on a subscription. */
export interface PushMessage {
  /** The channel it was published on. */
  channel: string;
  /** The message (for keyspace notifications, the event or the key). */
  message: string;
  /** `performance.now()` when its bytes were read. */
  at: number;
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

/** Encodes a command as a RESP array of bulk strings. */
function encodeCommand(args: readonly string[]): Uint8Array {
  let text = `*${args.length}\r\n`;
  for (const arg of args) {
    text += `$${ENCODER.encode(arg).length}\r\n${arg}\r\n`;
  }
  return ENCODER.encode(text);
}

/**
 * Parses one reply from `bytes` at `offset`; returns it and the offset after
 * it, or null when the bytes end before the reply does.
 */
function parseReply(
  bytes: Uint8Array,
  offset: number,
): [RespValue, number] | null {
  const lineEnd = bytes.indexOf(10, offset);
  if (lineEnd < 0) return null;
  const line = DECODER.decode(bytes.subarray(offset + 1, lineEnd - 1));
  const next = lineEnd + 1;
  switch (bytes[offset]) {
    case 43: // +
      return [line, next];
    case 45: // -
      return [new RespError(line), next];
    case 58: // :
      return [Number(line), next];
    case 36: { // $
      const length = Number(line);
      if (length < 0) return [null, next];
      if (bytes.length < next + length + 2) return null;
      return [
        DECODER.decode(bytes.subarray(next, next + length)),
        next + length + 2,
      ];
    }
    case 42: { // *
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(bytes, at);
        if (item === null) return null;
        items.push(item[0]);
        at = item[1];
      }
      return [items, at];
    }
    default:
      throw new Error(`RESP: unexpected reply type byte ${bytes[offset]}`);
  }
}

/**
 * One connection: `command()` while not subscribed, then `subscribe()` or
 * `psubscribe()` hand every message to a callback until `close()`.
 *
 * @example
 * ```ts ignore
 * const redis = await RespConnection.connect("/tmp/x/redis.sock");
 * await redis.command("CONFIG", "SET", "notify-keyspace-events", "Kh");
 * await redis.subscribe(["__keyspace@6__:PORT_TABLE|Ethernet0"], (m) => {});
 * redis.close();
 * ```
 */
export class RespConnection {
  readonly #conn: Deno.UnixConn;
  #buffer: Uint8Array = new Uint8Array(0);
  #readAt = 0;
  #replies: RespValue[] = [];
  #waiter: (() => void) | null = null;
  #onPush: ((message: PushMessage) => void) | null = null;
  #closed = false;
  #failure: Error | null = null;
  readonly #pump: Promise<void>;

  private constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
    this.#pump = this.#read();
  }

  /** Connects to the server's unix socket. */
  static async connect(socketPath: string): Promise<RespConnection> {
    const conn = await Deno.connect({ transport: "unix", path: socketPath });
    return new RespConnection(conn);
  }

  /** Sends one command and resolves its reply (an error reply throws). */
  async command(...args: string[]): Promise<RespValue> {
    if (this.#onPush !== null) {
      throw new Error("RESP: no commands once subscribed");
    }
    await this.#write(args);
    const reply = await this.#nextReply();
    if (reply instanceof RespError) {
      throw new Error(`redis ${args[0]}: ${reply.message}`);
    }
    return reply;
  }

  /** Subscribes to `channels`; resolves once the server confirmed each. */
  subscribe(
    channels: readonly string[],
    onMessage: (message: PushMessage) => void,
  ): Promise<void> {
    return this.#subscribe("SUBSCRIBE", channels, onMessage);
  }

  /** Subscribes to channel `patterns`; resolves once each is confirmed. */
  psubscribe(
    patterns: readonly string[],
    onMessage: (message: PushMessage) => void,
  ): Promise<void> {
    return this.#subscribe("PSUBSCRIBE", patterns, onMessage);
  }

  async #subscribe(
    verb: string,
    names: readonly string[],
    onMessage: (message: PushMessage) => void,
  ): Promise<void> {
    this.#onPush = onMessage;
    await this.#write([verb, ...names]);
    for (let i = 0; i < names.length; i++) {
      const reply = await this.#nextReply();
      if (!Array.isArray(reply) || !String(reply[0]).endsWith("subscribe")) {
        throw new Error(
          `redis ${verb}: unexpected reply ${JSON.stringify(reply)}`,
        );
      }
    }
  }

  /** Closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the server
    }
    await this.#pump;
  }

  async #write(args: readonly string[]): Promise<void> {
    const bytes = encodeCommand(args);
    let written = 0;
    while (written < bytes.length) {
      written += await this.#conn.write(bytes.subarray(written));
    }
  }

  async #nextReply(): Promise<RespValue> {
    while (this.#replies.length === 0) {
      if (this.#failure !== null) throw this.#failure;
      await new Promise<void>((resolve) => this.#waiter = resolve);
    }
    return this.#replies.shift()!;
  }

  async #read(): Promise<void> {
    const chunk = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const count = await this.#conn.read(chunk);
        if (count === null) break;
        const at = performance.now();
        this.#append(chunk.subarray(0, count));
        this.#parse(at);
      }
      this.#failure = new Error("redis closed the connection");
    } catch (error) {
      this.#failure = this.#closed
        ? new Error("RESP connection closed")
        : error as Error;
    }
    this.#waiter?.();
  }

  #append(bytes: Uint8Array): void {
    const rest = this.#buffer.subarray(this.#readAt);
    const joined = new Uint8Array(rest.length + bytes.length);
    joined.set(rest);
    joined.set(bytes, rest.length);
    this.#buffer = joined;
    this.#readAt = 0;
  }

  #parse(at: number): void {
    while (this.#readAt < this.#buffer.length) {
      const parsed = parseReply(this.#buffer, this.#readAt);
      if (parsed === null) return;
      this.#readAt = parsed[1];
      const reply = parsed[0];
      if (this.#onPush !== null && Array.isArray(reply)) {
        if (reply[0] === "message") {
          this.#onPush({
            channel: String(reply[1]),
            message: String(reply[2]),
            at,
          });
          continue;
        }
        if (reply[0] === "pmessage") {
          this.#onPush({
            channel: String(reply[2]),
            message: String(reply[3]),
            at,
          });
          continue;
        }
      }
      this.#replies.push(reply);
      const wake = this.#waiter;
      this.#waiter = null;
      wake?.();
    }
  }
}
