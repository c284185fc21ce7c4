/**
 * A minimal well-formedness check of an SVG document for the load tests
 * (no XML library): comments, one root `<svg>`, every tag closed in order,
 * attributes quoted and not repeated, no stray `<` or `&` in text.
 * @module
 */

/** An element seen while checking, with its attributes. */
export interface SvgElement {
  name: string;
  attributes: Record<string, string>;
}

const NAME = /^[A-Za-z][\w:.-]*$/;
const ATTRIBUTE = /\s+([A-Za-z_:][\w:.-]*)="([^"<]*)"/y;
const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;

function checkText(text: string, at: number): void {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "<") throw new Error(`stray "<" at ${at + i}`);
    if (text[i] === "&") {
      ENTITY.lastIndex = i;
      if (!ENTITY.test(text)) throw new Error(`bad entity at ${at + i}`);
    }
  }
}

function parseTag(body: string, at: number): SvgElement {
  const name = body.match(/^[^\s/]+/)?.[0] ?? "";
  if (!NAME.test(name)) throw new Error(`bad tag name "${name}" at ${at}`);
  const attributes: Record<string, string> = {};
  let index = name.length;
  ATTRIBUTE.lastIndex = index;
  let match: RegExpExecArray | null;
  while ((match = ATTRIBUTE.exec(body)) !== null) {
    if (match[1] in attributes) {
      throw new Error(`attribute ${match[1]} repeated in <${name}> at ${at}`);
    }
    checkText(match[2], at);
    attributes[match[1]] = match[2];
    index = ATTRIBUTE.lastIndex;
  }
  if (body.slice(index).trim() !== "") {
    throw new Error(
      `unparsable attributes in <${name}> at ${at}: "${body.slice(index)}"`,
    );
  }
  return { name, attributes };
}

/**
 * Checks `text` and returns every element in document order; throws with
 * the offset of the first problem.
 */
export function checkSvg(text: string): SvgElement[] {
  const elements: SvgElement[] = [];
  const open: string[] = [];
  let index = 0;
  let rootClosed = false;
  if (text.startsWith("<?xml")) index = text.indexOf("?>") + 2;
  while (index < text.length) {
    const start = text.indexOf("<", index);
    const chunk = text.slice(index, start < 0 ? text.length : start);
    if (open.length === 0 && chunk.trim() !== "") {
      throw new Error(`text outside the root at ${index}`);
    }
    checkText(chunk, index);
    if (start < 0) break;
    const end = text.indexOf(">", start);
    if (end < 0) throw new Error(`unclosed tag at ${start}`);
    if (text.startsWith("<!--", start)) {
      const close = text.indexOf("-->", start + 4);
      if (close < 0) throw new Error(`unclosed comment at ${start}`);
      if (text.slice(start + 4, close).includes("--")) {
        throw new Error(`"--" inside a comment at ${start}`);
      }
      index = close + 3;
      continue;
    }
    const tag = text.slice(start + 1, end);
    index = end + 1;
    if (tag.startsWith("/")) {
      const name = tag.slice(1).trim();
      const expected = open.pop();
      if (name !== expected) {
        throw new Error(`</${name}> at ${start} closes <${expected}>`);
      }
      if (open.length === 0) rootClosed = true;
      continue;
    }
    if (rootClosed) throw new Error(`second root element at ${start}`);
    const selfClosing = tag.endsWith("/");
    const element = parseTag(selfClosing ? tag.slice(0, -1) : tag, start);
    if (elements.length === 0 && element.name !== "svg") {
      throw new Error(`the root is <${element.name}>, not <svg>`);
    }
    elements.push(element);
    if (!selfClosing) open.push(element.name);
    else if (open.length === 0) rootClosed = true;
  }
  if (open.length > 0) throw new Error(`unclosed <${open.join("> <")}>`);
  if (elements.length === 0) throw new Error("no elements");
  return elements;
}
