// Parsing a command reply: PLUS writes `<CommandReply Name=".." Status="SUCCESS|FAIL" Message=".." [Error=".."]/>`
// and repeats Status/Message/Error in the metadata (OpenIGTLink Documents/Protocol/command.md; docs/operators.md#command); some commands answer
// with their own text, and a legacy reply is a STRING. XML attributes win over metadata, because
// 3D Slicer's `Status` metadata comes from an uninitialised flag.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { IgtlMessage } from '../../src/index.js';
import type { CommandResult } from '../errors.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Document order, attributes apart from child elements (under ':@').
  preserveOrder: true,
  // Numeric character references (`&#10;`, which commandXml writes for line breaks) are decoded
  // only with this on.
  htmlEntities: true,
  parseAttributeValue: false,
});

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, unknown> };

/** Attributes of the root element of `text`, or undefined when it is not well-formed XML. */
export function rootAttributes(text: string): ReadonlyMap<string, string> | undefined {
  if (XMLValidator.validate(text) !== true) return undefined;
  let nodes: unknown;
  try {
    nodes = parser.parse(text);
  } catch {
    // fast-xml-parser refuses attribute names such as `constructor` (prototype pollution guard).
    return undefined;
  }
  if (!Array.isArray(nodes)) return undefined;
  for (const node of nodes as OrderedNode[]) {
    const tag = Object.keys(node).find((k) => k !== ':@');
    // Skip the XML declaration, processing instructions, comments and text.
    if (tag === undefined || tag.startsWith('?') || tag.startsWith('#')) continue;
    const attributes = new Map<string, string>();
    for (const [key, value] of Object.entries(node[':@'] ?? {})) attributes.set(key, String(value));
    return attributes;
  }
  return undefined;
}

/** The text of a command reply: RTS_COMMAND's command text, or a legacy STRING's value. */
export function replyText(reply: IgtlMessage): string {
  if (reply.type === 'RTS_COMMAND' || reply.type === 'COMMAND') return reply.content.command;
  if (reply.type === 'STRING') return reply.content.value;
  return '';
}

/**
 * The attributes of a `<CommandReply .../>` that is not well-formed XML, read the way PLUS writes
 * it (PlusLib src/PlusServer/vtkPlusOpenIGTLinkServer.cxx, CreateIgtlMessageFromCommandResponse):
 * `<CommandReply Name="n" Status="SUCCESS|FAIL" [Error="e"] Message="m"></CommandReply>`, with the
 * result string written unescaped, so a `"`, `<` or `&` in it breaks the XML. Name, Status and
 * Error come first and are read up to their closing quote; Message is everything from
 * ` Message="` to the last `"` before the element ends. Undefined when the text is not of that form.
 */
export function lenientReplyAttributes(text: string): ReadonlyMap<string, string> | undefined {
  const head = /^\s*<CommandReply\b/.exec(text);
  if (!head) return undefined;
  const attributes = new Map<string, string>();
  const at = text.indexOf(' Message="', head[0].length);
  const before = at < 0 ? text : text.slice(0, at);
  // PLUS writes Error (unescaped too) right before Message: it runs to the `"` before ` Message="`.
  const errorAt = before.indexOf(' Error="');
  const plain = errorAt < 0 ? before : before.slice(0, errorAt);
  for (const m of plain.matchAll(/\s(Name|Status)="([^"]*)"/g)) if (!attributes.has(m[1]!)) attributes.set(m[1]!, m[2]!);
  if (errorAt >= 0 && at >= 0 && before.endsWith('"')) attributes.set('Error', before.slice(errorAt + 8, -1));
  if (at >= 0) {
    const tail = /"\s*(?:\/>|><\/CommandReply>)\s*$/.exec(text);
    if (tail && tail.index >= at + 10) attributes.set('Message', text.slice(at + 10, tail.index));
  }
  return attributes.has('Status') ? attributes : undefined;
}

/**
 * Reads a command reply into a {@link CommandResult}: the XML's root attributes, else the
 * metadata, else (XML that does not parse and no metadata, as PLUS answers a v1 client) the
 * attributes read leniently from PLUS's reply form. The status is `undefined` when none of the
 * three gives one; `command` then rejects with a CommandReplyError.
 */
export function parseCommandReply(reply: IgtlMessage): Omit<CommandResult, 'status'> & { readonly status: string | undefined } {
  const text = replyText(reply);
  const parsed = rootAttributes(text);
  const attributes = parsed ?? new Map<string, string>();
  const metadata = reply.metadata;
  const lenient = parsed === undefined ? lenientReplyAttributes(text) : undefined;
  const pick = (key: string): string | undefined => attributes.get(key) ?? metadata.get(key)?.value ?? lenient?.get(key);
  const message = pick('Message');
  const error = pick('Error');
  return {
    status: pick('Status'),
    ...(message === undefined ? {} : { message }),
    ...(error === undefined ? {} : { error }),
    attributes,
    metadata,
    text,
    reply,
  };
}

/** True when a result reports failure (`Status="FAIL"`, any case). */
export function isCommandFailure(result: CommandResult): boolean {
  return result.status.toUpperCase() === 'FAIL';
}
