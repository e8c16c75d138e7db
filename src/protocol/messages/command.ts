// COMMAND and RTS_COMMAND (protocol 3): id, 128-byte name, encoding, length, text (OpenIGTLink Documents/Protocol/command.md).
// Both have the same layout; the reply repeats the request's COMMAND_ID (OpenIGTLink Documents/Protocol/command.md).
import type { ContentCodec } from '../codec.js';
import { EncodeError, MalformedMessageError } from '../errors.js';
import { decodeTextIn, readFixedString, writeFixedString } from '../text.js';
import { checkFixedString, checkInt } from './encode-checks.js';
import { asInt, asObject, asString } from './json-fields.js';
import { encodedTextLength, rawTextFromJSON, textToJSON, writeEncodedText } from './text-fields.js';

const COMMAND_ID = 0; // uint32
const COMMAND_NAME = 4; // char[128]
const COMMAND_NAME_SIZE = 128;
const ENCODING = 132; // uint16 IANA MIBenum
const LENGTH = 134; // uint32 L
const TEXT = 138; // L bytes, no terminator
const FIXED_SIZE = 138;
const MAX_LENGTH = 0xffffffff;

/** Content of COMMAND and RTS_COMMAND. */
export interface CommandContent {
  /** Correlates a reply with its request (the reply repeats it). */
  readonly commandId: number;
  /** Command name, at most 128 bytes (127 for C++ receivers). */
  readonly commandName: string;
  /** IANA MIBenum of the text (3 US-ASCII default, 106 UTF-8). */
  readonly encoding: number;
  /** The command or reply text, usually XML. */
  readonly command: string;
  /** Received bytes, only when `command` would not re-encode to them. */
  readonly raw?: Uint8Array;
}

function commandCodecFor<T extends 'COMMAND' | 'RTS_COMMAND'>(type: T): ContentCodec<T, CommandContent> {
  return {
    type,
    // The C++ CommandMessage and RTSCommandMessage default to v3 framing; Slicer and PLUS attach metadata to both.
    defaultHeaderVersion: 2,
    decode(bytes, view, offset, length) {
      if (length < FIXED_SIZE) throw new MalformedMessageError(type, `content is ${length} bytes, expected at least ${FIXED_SIZE}`);
      const textLength = view.getUint32(offset + LENGTH);
      // C++ ignores bytes after the text (command.md); we refuse them, as they could not be re-encoded.
      if (length !== FIXED_SIZE + textLength) {
        throw new MalformedMessageError(type, `content is ${length} bytes, LENGTH ${textLength} needs ${FIXED_SIZE + textLength}`);
      }
      const encoding = view.getUint16(offset + ENCODING);
      const text = decodeTextIn(bytes, view, offset + TEXT, offset + TEXT + textLength, encoding);
      const content: CommandContent = {
        commandId: view.getUint32(offset + COMMAND_ID),
        commandName: readFixedString(bytes, offset + COMMAND_NAME, COMMAND_NAME_SIZE),
        encoding,
        command: text.value,
      };
      return text.raw ? { ...content, raw: text.raw } : content;
    },
    size(content) {
      checkInt(type, 'commandId', content.commandId, 0, 0xffffffff);
      checkInt(type, 'encoding', content.encoding, 0, 0xffff);
      checkFixedString(type, 'commandName', content.commandName, COMMAND_NAME_SIZE);
      const n = encodedTextLength(content.command, content.encoding, content.raw, type, 'command');
      if (n > MAX_LENGTH) throw new EncodeError(type, `command is ${n} bytes, LENGTH (uint32) holds at most ${MAX_LENGTH}`);
      return FIXED_SIZE + n;
    },
    encode(content, bytes, view, offset) {
      const n = writeEncodedText(bytes, offset + TEXT, content.command, content.encoding, content.raw, type, 'command');
      view.setUint32(offset + COMMAND_ID, content.commandId);
      writeFixedString(bytes, offset + COMMAND_NAME, COMMAND_NAME_SIZE, content.commandName, type, 'commandName');
      view.setUint16(offset + ENCODING, content.encoding);
      view.setUint32(offset + LENGTH, n);
    },
    toJSON: (content) => ({
      commandId: content.commandId,
      commandName: content.commandName,
      encoding: content.encoding,
      ...textToJSON('command', content.command, content.encoding, content.raw),
    }),
    fromJSON(json, path) {
      const o = asObject(json, path);
      const content: CommandContent = {
        commandId: asInt(o.commandId, `${path}.commandId`, 0, 0xffffffff),
        commandName: asString(o.commandName, `${path}.commandName`),
        encoding: asInt(o.encoding, `${path}.encoding`, 0, 0xffff),
        command: asString(o.command, `${path}.command`),
      };
      const raw = rawTextFromJSON(o, 'command', path);
      return raw ? { ...content, raw } : content;
    },
  };
}

/** Codec of COMMAND. */
export const commandCodec: ContentCodec<'COMMAND', CommandContent> = commandCodecFor('COMMAND');
/** Codec of RTS_COMMAND. */
export const rtsCommandCodec: ContentCodec<'RTS_COMMAND', CommandContent> = commandCodecFor('RTS_COMMAND');

// ---------------------------------------------------------------------------------------------
// Command XML as PLUS and 3D Slicer write it (OpenIGTLink Documents/Protocol/command.md; PLUS and Slicer usage: docs/operators.md#command): one element whose
// `Name` attribute repeats COMMAND_NAME, e.g. `<Command Name="StartRecording" OutputFilename="a.mha"/>`.
// Building only: parsing replies is left to a real XML parser.

// Characters XML 1.0 cannot hold at all, even escaped: C0 controls other than tab, LF and CR,
// U+FFFE/U+FFFF, and unpaired surrogates.
// (With the `u` flag a surrogate range matches only unpaired halves.)
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/u;
const XML_NAME = /^[\p{L}_:][\p{L}\p{N}\p{Mn}\p{Mc}_.:\u00B7-]*$/u;
const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;',
  // A parser turns raw tab, LF and CR in an attribute value into spaces; character
  // references keep them (XML 1.0 §3.3.3).
  '\t': '&#9;', '\n': '&#10;', '\r': '&#13;',
};

/**
 * Escapes text for a double- or single-quoted XML attribute value: `& < > " '` and tab, LF and
 * CR (which a parser would otherwise turn into spaces). Throws an {@link EncodeError} for
 * characters XML cannot hold (NUL and other C0 controls, U+FFFE, U+FFFF, lone surrogates).
 */
export function escapeXmlAttribute(value: string): string {
  const bad = XML_INVALID.exec(value);
  if (bad) {
    throw new EncodeError('COMMAND', `U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} at index ${bad.index} cannot appear in XML`);
  }
  return value.replace(/[&<>"'\t\n\r]/g, (c) => XML_ESCAPES[c]!);
}

function xmlElement(tag: string, attributes: Iterable<readonly [string, string]>): string {
  let xml = `<${tag}`;
  const seen = new Set<string>();
  for (const [key, value] of attributes) {
    if (!XML_NAME.test(key)) throw new EncodeError('COMMAND', `"${key}" is not a valid XML attribute name`);
    if (seen.has(key)) throw new EncodeError('COMMAND', `attribute "${key}" is given twice`);
    seen.add(key);
    xml += ` ${key}="${escapeXmlAttribute(value)}"`;
  }
  return `${xml}/>`;
}

/** XML attributes, as an object or a map (in insertion order). @inline */
type Attributes = Readonly<Record<string, string>> | ReadonlyMap<string, string>;

function isMap(attributes: Attributes): attributes is ReadonlyMap<string, string> {
  return attributes instanceof Map;
}

function entriesOf(attributes: Attributes | undefined): (readonly [string, string])[] {
  if (attributes === undefined) return [];
  return isMap(attributes) ? [...attributes.entries()] : Object.entries(attributes);
}

/**
 * Builds the XML text of a PLUS / 3D Slicer command: `<Command Name="name" a="1" .../>`, with
 * `Name` first and the other attributes in the order given, every value escaped. Send it as the
 * `command` of a COMMAND whose `commandName` is the same name (or, for legacy PLUS servers, as
 * a STRING on device `CMD_<id>`).
 *
 * Throws an {@link EncodeError} for an invalid attribute name, a second `Name`, or a value
 * holding characters XML cannot carry.
 *
 * @param name  the command name, e.g. `'StartRecording'`
 * @param attributes  further attributes (a `Map` keeps keys such as `__proto__` intact)
 * @example
 * commandXml('GetTransform', { TransformName: 'ProbeToReference' })
 * // '<Command Name="GetTransform" TransformName="ProbeToReference"/>'
 */
export function commandXml(name: string, attributes?: Attributes): string {
  return xmlElement('Command', [['Name', name], ...entriesOf(attributes)]);
}

/**
 * Builds a PLUS-style command reply: `<CommandReply Name="name" Status="SUCCESS|FAIL" Message="..."/>`,
 * plus `Error` when given and any further attributes. For a peer that acts
 * as a command server; send it as the `command` of the RTS_COMMAND that repeats the request's id.
 *
 * @param name  the command name the reply answers
 * @param status  `'SUCCESS'` or `'FAIL'`
 * @param message  result text
 * @param extra  `Error` and any other attributes, written after `Message`
 */
export function commandReplyXml(
  name: string,
  status: 'SUCCESS' | 'FAIL',
  message: string,
  extra?: Attributes,
): string {
  return xmlElement('CommandReply', [['Name', name], ['Status', status], ['Message', message], ...entriesOf(extra)]);
}
