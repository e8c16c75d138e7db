import { describe, it, expect } from 'vitest';
import {
  commandCodec, commandReplyXml, commandXml, createMessage, EncodeError, Encoding, escapeXmlAttribute, InvalidJsonMessageError,
  rtsCommandCodec, type CommandContent,
} from '../../../src/index.js';
import { ascii, decode, decodeError, encode, expectEncodeError, expectMalformedContent, expectRoundTrip, toHex, viaJSON } from '../../support/codec.js';

const cmd: CommandContent = { commandId: 0x01020304, commandName: 'Version', encoding: Encoding.US_ASCII, command: '<Command Name="Version"/>' };

describe('COMMAND and RTS_COMMAND', () => {
  it('lays the content out as id, 128-byte name, encoding, length and text', () => {
    const bytes = encode(commandCodec, cmd);
    expect(bytes.length).toBe(138 + 25);
    expect(toHex(bytes.subarray(0, 4))).toBe('01020304');
    expect(toHex(bytes.subarray(4, 132))).toBe(ascii('Version') + '00'.repeat(121));
    expect(toHex(bytes.subarray(132, 138))).toBe('0003' + '00000019');
    expect(toHex(bytes.subarray(138))).toBe(ascii(cmd.command));
    expect(decode(commandCodec, bytes)).toEqual(cmd);
  });

  it('gives RTS_COMMAND the same layout', () => {
    expect(toHex(encode(rtsCommandCodec, cmd))).toBe(toHex(encode(commandCodec, cmd)));
    expect(decode(rtsCommandCodec, encode(rtsCommandCodec, cmd))).toEqual(cmd);
  });

  it('defaults both types to v3 framing, as the C++ classes do', () => {
    expect(createMessage('COMMAND', cmd).headerVersion).toBe(2);
    expect(createMessage('RTS_COMMAND', cmd).headerVersion).toBe(2);
    expect(createMessage('COMMAND', cmd, { headerVersion: 1 }).headerVersion).toBe(1);
  });

  it('reads and writes a name that fills all 128 bytes, and refuses 129', () => {
    const full = { ...cmd, commandName: 'N'.repeat(128) };
    expectRoundTrip(commandCodec, full);
    expect(() => commandCodec.size({ ...cmd, commandName: 'N'.repeat(129) })).toThrow('commandName');
  });

  it('carries an empty command text', () => {
    const bytes = encode(commandCodec, { ...cmd, command: '' });
    expect(bytes.length).toBe(138);
    expect(decode(commandCodec, bytes).command).toBe('');
  });

  it('writes UTF-8 text with its byte length', () => {
    const c = { ...cmd, encoding: Encoding.UTF_8, command: '<Command Name="SendText" Text="Größe"/>' };
    const bytes = encode(commandCodec, c);
    expect(new DataView(bytes.buffer).getUint32(134)).toBe(41);
    expect(commandCodec.toJSON(c).length).toBe(41);
    expect(decode(commandCodec, bytes)).toEqual(c);
  });

  // Short texts are checked by a loop, long ones with TextEncoder, and ones over 64 KiB with a regular expression.
  it.each([1, 32, 33, 8000, 0x10000, 0x10001])('writes %i ASCII characters as the same bytes in US-ASCII, ISO-8859-1 and UTF-8', (n) => {
    const command = '<Command Name="Version"/>'.repeat(2700).slice(0, n);
    for (const encoding of [3, 4, 106]) {
      const bytes = encode(commandCodec, { ...cmd, encoding, command });
      expect(bytes.length).toBe(138 + n);
      expect(new DataView(bytes.buffer).getUint32(134)).toBe(n);
      expect(toHex(bytes.subarray(138))).toBe(ascii(command));
    }
  });

  it.each([1, 32, 33, 100, 0x10000, 0x10001])('writes text of %i characters ending in a non-ASCII one by its encoding', (n) => {
    const head = 'x'.repeat(n - 1);
    const utf8 = encode(commandCodec, { ...cmd, encoding: 106, command: `${head}é` });
    expect(new DataView(utf8.buffer).getUint32(134)).toBe(n + 1);
    expect(toHex(utf8.subarray(138))).toBe(ascii(head) + 'c3a9');
    expect(toHex(encode(commandCodec, { ...cmd, encoding: 4, command: `${head}é` }).subarray(138))).toBe(ascii(head) + 'e9');
    expect(() => commandCodec.size({ ...cmd, encoding: 3, command: `${head}é` })).toThrow(EncodeError);
  });

  it('writes raw bytes, not the text, even when the text is ASCII', () => {
    const bytes = encode(commandCodec, { ...cmd, encoding: 106, command: 'a'.repeat(40), raw: Uint8Array.of(0x61, 0xff) });
    expect(toHex(bytes.subarray(134))).toBe('00000002' + '61ff');
  });

  it('keeps invalid text bytes as raw, relays them unchanged and gives them as commandBase64', () => {
    const bytes = encode(commandCodec, { ...cmd, encoding: Encoding.UTF_8, command: 'ab' });
    bytes[139] = 0xff;
    const c = decode(commandCodec, bytes);
    expect(c.command).toBe('a\uFFFD');
    expect(commandCodec.toJSON(c)).toMatchObject({ command: 'a\uFFFD', commandBase64: 'Yf8=', length: 2 });
    expect(toHex(encode(commandCodec, c))).toBe(toHex(bytes));
    expect(toHex(encode(commandCodec, viaJSON(commandCodec, c)))).toBe(toHex(bytes));
    expect('commandBase64' in commandCodec.toJSON(cmd)).toBe(false);
  });

  it.each([
    [{ ...cmd, commandId: -1 }, 'commandId'],
    [{ ...cmd, commandId: 2 ** 32 }, 'commandId'],
    [{ ...cmd, encoding: 0x10000 }, 'encoding'],
    [{ ...cmd, command: 'é' }, 'command'],
  ])('refuses to size %j', (bad, field) => {
    expectEncodeError(() => rtsCommandCodec.size(bad), field);
    expect(() => rtsCommandCodec.size(bad)).toThrow('RTS_COMMAND');
  });

  it.each([
    [0, 'content is 0 bytes, expected at least 138'],
    [137, 'content is 137 bytes, expected at least 138'],
  ])('refuses %i content bytes with the header attached', (n, detail) => {
    expectMalformedContent('COMMAND', new Uint8Array(n), detail);
  });

  it('refuses a LENGTH that disagrees with the content size', () => {
    const bytes = encode(commandCodec, cmd);
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(decodeError('RTS_COMMAND', longer).detail).toBe('content is 164 bytes, LENGTH 25 needs 163');
    expect(decodeError('COMMAND', bytes.subarray(0, bytes.length - 1)).detail).toBe('content is 162 bytes, LENGTH 25 needs 163');
  });

  it('rejects JSON with a bad id or no command text', () => {
    const json = commandCodec.toJSON(cmd);
    expect(() => commandCodec.fromJSON({ ...json, commandId: -1 }, '$.content')).toThrow('$.content.commandId');
    expect(() => commandCodec.fromJSON({ ...json, command: null }, '$.content')).toThrow(InvalidJsonMessageError);
    expect(commandCodec.fromJSON({ ...json, length: 1 }, '$.content')).toEqual(cmd);
  });
});

describe('command XML', () => {
  it('builds a command with Name first and the attributes in order', () => {
    expect(commandXml('Version')).toBe('<Command Name="Version"/>');
    expect(commandXml('StartRecording', { OutputFilename: 'rec.mha', EnableCompression: 'TRUE' }))
      .toBe('<Command Name="StartRecording" OutputFilename="rec.mha" EnableCompression="TRUE"/>');
  });

  it('escapes the five XML special characters in names and values', () => {
    expect(commandXml('A&B', { Text: `<"it's">` })).toBe('<Command Name="A&amp;B" Text="&lt;&quot;it&apos;s&quot;&gt;"/>');
  });

  it('keeps tab, line feed and carriage return as character references', () => {
    expect(escapeXmlAttribute('a\tb\nc\r\n')).toBe('a&#9;b&#10;c&#13;&#10;');
  });

  it('passes non-ASCII text and astral characters through', () => {
    expect(commandXml('SendText', { Text: 'Größe 🩺' })).toBe('<Command Name="SendText" Text="Größe 🩺"/>');
  });

  it('accepts a Map, so keys such as __proto__ are kept', () => {
    expect(commandXml('X', new Map([['__proto__', '1'], ['b', '2']]))).toBe('<Command Name="X" __proto__="1" b="2"/>');
  });

  it('refuses a second Name, an invalid attribute name, and characters XML cannot hold', () => {
    expect(() => commandXml('X', { Name: 'Y' })).toThrow(EncodeError);
    expect(() => commandXml('X', { 'a b': '1' })).toThrow('not a valid XML attribute name');
    expect(() => commandXml('X', { '1a': '1' })).toThrow(EncodeError);
    expect(() => commandXml('X', { a: 'nul\0' })).toThrow('U+0000 at index 3');
    expect(() => commandXml('X', { a: '\uD800' })).toThrow('U+D800');
    expect(() => escapeXmlAttribute('\uFFFF')).toThrow(EncodeError);
  });

  it('builds a PLUS-style reply', () => {
    expect(commandReplyXml('Version', 'SUCCESS', 'Success.')).toBe('<CommandReply Name="Version" Status="SUCCESS" Message="Success."/>');
    expect(commandReplyXml('Save', 'FAIL', 'No "file"', { Error: 'disk & full' }))
      .toBe('<CommandReply Name="Save" Status="FAIL" Message="No &quot;file&quot;" Error="disk &amp; full"/>');
  });
});
