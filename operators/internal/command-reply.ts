// Parsing a command reply: PLUS writes `<CommandReply Name=".." Status="SUCCESS|FAIL" Message=".." [Error=".."]/>`
// and repeats Status/Message/Error in the metadata (spec queries.md §4, §7); some commands answer
// with their own text, and a legacy reply is a STRING. XML attributes win over metadata, because
// 3D Slicer's `Status` metadata comes from an uninitialised flag (spec §4).
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

/** Reads a command reply into a {@link CommandResult}. */
export function parseCommandReply(reply: IgtlMessage): CommandResult {
  const text = replyText(reply);
  const attributes = rootAttributes(text) ?? new Map<string, string>();
  const metadata = reply.metadata;
  const pick = (key: string): string | undefined => attributes.get(key) ?? metadata.get(key)?.value;
  const message = pick('Message');
  const error = pick('Error');
  return {
    status: pick('Status') ?? '',
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
