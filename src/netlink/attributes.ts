/**
 * Netlink attributes (`struct rtattr` / `struct nlattr`): a bounds-checked
 * decoder that walks them with `next()`, and an encoder.
 *
 * Like mdlayher/netlink, the decoder does not throw per call: a malformed
 * attribute or a getter used on the wrong size records the first error, makes
 * `next()` return false, and {@linkcode AttributeDecoder.err} reports it.
 * @module
 */

import { NetlinkDecodeError } from "./errors.ts";
import { align4 } from "./message.ts";

/** Size of the attribute header (`rta_len` + `rta_type`). */
export const ATTRIBUTE_HEADER_LENGTH = 4;
/** Type bit marking a nested attribute (masked out of `type`). */
export const NLA_F_NESTED = 0x8000;
/** Type bit marking network byte order (masked out of `type`). */
export const NLA_F_NET_BYTEORDER = 0x4000;
const TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const ENCODER = new TextEncoder();

/** Longest value decoded by the plain-ASCII fast path (interface names are < 16). */
const ASCII_FAST_PATH_LIMIT = 64;

/** `bytes` as a string when short and plain ASCII, else null (use TextDecoder). */
function asciiString(bytes: Uint8Array): string | null {
  if (bytes.length > ASCII_FAST_PATH_LIMIT) return null;
  let text = "";
  for (const byte of bytes) {
    if (byte >= 0x80) return null;
    text += String.fromCharCode(byte);
  }
  return text;
}

/** Options of {@linkcode AttributeDecoder}. */
export interface AttributeDecoderOptions {
  /** Offset of `bytes` in the enclosing buffer, used in error offsets. */
  baseOffset?: number;
}

/**
 * Walks the attributes in `bytes`. Call `next()` until it returns false, read
 * the current attribute with the getters, then check `err()`.
 *
 * @example
 * ```ts
 * import { AttributeDecoder, AttributeEncoder } from "./attributes.ts";
 * const bytes = new AttributeEncoder().u32(4, 1500).encode();
 * const decoder = new AttributeDecoder(bytes);
 * while (decoder.next()) {
 *   if (decoder.type === 4) console.log(decoder.u32()); // 1500
 * }
 * if (decoder.err()) throw decoder.err();
 * ```
 */
export class AttributeDecoder {
  #bytes: Uint8Array;
  #view: DataView;
  #base: number;
  #offset = 0;
  #start = 0;
  #end = 0;
  #type = 0;
  #error: NetlinkDecodeError | null = null;

  /** Decodes the attributes packed in `bytes`. */
  constructor(bytes: Uint8Array, options: AttributeDecoderOptions = {}) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.#base = options.baseOffset ?? 0;
  }

  /** Advances to the next attribute; false at the end or after an error. */
  next(): boolean {
    if (this.#error !== null) return false;
    const remaining = this.#bytes.length - this.#offset;
    if (remaining <= 0) return false;
    if (remaining < ATTRIBUTE_HEADER_LENGTH) {
      return this.#fail(
        `${remaining} trailing bytes, too short for an attribute header`,
        this.#offset,
      );
    }
    const length = this.#view.getUint16(this.#offset, true);
    if (length < ATTRIBUTE_HEADER_LENGTH) {
      return this.#fail(
        `attribute length ${length} < ${ATTRIBUTE_HEADER_LENGTH}`,
        this.#offset,
      );
    }
    if (length > remaining) {
      return this.#fail(
        `attribute length ${length} runs past the end (${remaining} bytes left)`,
        this.#offset,
      );
    }
    this.#type = this.#view.getUint16(this.#offset + 2, true);
    this.#start = this.#offset + ATTRIBUTE_HEADER_LENGTH;
    this.#end = this.#offset + length;
    this.#offset = Math.min(this.#offset + align4(length), this.#bytes.length);
    return true;
  }

  /** The current attribute's type, without the nested/byte-order bits. */
  get type(): number {
    return this.#type & TYPE_MASK;
  }

  /** The current attribute's type exactly as sent. */
  get rawType(): number {
    return this.#type;
  }

  /** Length of the current attribute's value. */
  get length(): number {
    return this.#end - this.#start;
  }

  /** The first error met, or null. */
  err(): NetlinkDecodeError | null {
    return this.#error;
  }

  /** The current value as a view (no copy). */
  bytes(): Uint8Array {
    return this.#bytes.subarray(this.#start, this.#end);
  }

  /** The current value as an unsigned 8-bit integer (exactly 1 byte). */
  u8(): number {
    if (!this.#expectLength(1)) return 0;
    return this.#view.getUint8(this.#start);
  }

  /** The current value as an unsigned 16-bit host-order integer. */
  u16(): number {
    if (!this.#expectLength(2)) return 0;
    return this.#view.getUint16(this.#start, true);
  }

  /** The current value as an unsigned 32-bit host-order integer. */
  u32(): number {
    if (!this.#expectLength(4)) return 0;
    return this.#view.getUint32(this.#start, true);
  }

  /**
   * The current value as a UTF-8 string, cut at the first NUL (an
   * unterminated value is taken whole). Invalid UTF-8 is an error.
   */
  string(): string {
    const value = this.bytes();
    const nul = value.indexOf(0);
    const text = nul === -1 ? value : value.subarray(0, nul);
    const ascii = asciiString(text);
    if (ascii !== null) return ascii;
    try {
      return UTF8.decode(text);
    } catch {
      this.#fail(
        `attribute type ${this.type} is not valid UTF-8`,
        this.#start - ATTRIBUTE_HEADER_LENGTH,
      );
      return "";
    }
  }

  /** A decoder over the current attribute's value (nested attributes). */
  nested(): AttributeDecoder {
    return new AttributeDecoder(this.bytes(), {
      baseOffset: this.#base + this.#start,
    });
  }

  #expectLength(size: number): boolean {
    if (this.length === size) return true;
    return this.#fail(
      `attribute type ${this.type} has ${this.length} bytes, expected ${size}`,
      this.#start - ATTRIBUTE_HEADER_LENGTH,
    );
  }

  #fail(reason: string, offset: number): false {
    this.#error ??= new NetlinkDecodeError(reason, this.#base + offset);
    this.#offset = this.#bytes.length;
    return false;
  }
}

/**
 * Builds a packed, 4-byte aligned attribute list.
 *
 * @example
 * ```ts
 * import { AttributeEncoder } from "./attributes.ts";
 * const bytes = new AttributeEncoder()
 *   .string(3, "Ethernet0")
 *   .nested(18, (info) => info.string(1, "veth"))
 *   .encode();
 * ```
 */
export class AttributeEncoder {
  #parts: Uint8Array[] = [];
  #length = 0;

  /** Appends an attribute with a raw value. */
  bytes(type: number, value: Uint8Array): this {
    const length = ATTRIBUTE_HEADER_LENGTH + value.length;
    if (length > 0xffff) {
      throw new RangeError(`attribute type ${type} too long: ${length} bytes`);
    }
    const part = new Uint8Array(align4(length));
    const view = new DataView(part.buffer);
    view.setUint16(0, length, true);
    view.setUint16(2, type, true);
    part.set(value, ATTRIBUTE_HEADER_LENGTH);
    this.#parts.push(part);
    this.#length += part.length;
    return this;
  }

  /** Appends a 1-byte attribute. */
  u8(type: number, value: number): this {
    return this.bytes(type, new Uint8Array([value & 0xff]));
  }

  /** Appends a 2-byte host-order attribute. */
  u16(type: number, value: number): this {
    const value16 = new Uint8Array(2);
    new DataView(value16.buffer).setUint16(0, value, true);
    return this.bytes(type, value16);
  }

  /** Appends a 4-byte host-order attribute. */
  u32(type: number, value: number): this {
    const value32 = new Uint8Array(4);
    new DataView(value32.buffer).setUint32(0, value >>> 0, true);
    return this.bytes(type, value32);
  }

  /** Appends a NUL-terminated string attribute. */
  string(type: number, value: string): this {
    const text = ENCODER.encode(value);
    const terminated = new Uint8Array(text.length + 1);
    terminated.set(text);
    return this.bytes(type, terminated);
  }

  /**
   * Appends a nested attribute whose contents `build` writes. The type is
   * written as given (rtnetlink sends IFLA_LINKINFO without NLA_F_NESTED; or
   * it in yourself when needed).
   */
  nested(type: number, build: (inner: AttributeEncoder) => void): this {
    const inner = new AttributeEncoder();
    build(inner);
    return this.bytes(type, inner.encode());
  }

  /** The packed attributes. */
  encode(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const part of this.#parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}
