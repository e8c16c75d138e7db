// Every golden vector: decodes to its manifest entry, re-encodes byte for byte (from the decoded
// message and from its canonical JSON text), and every bad vector gives its typed error.
import { describe, expect, it } from 'vitest';
import { decodeAll, decodeMessage, encodeMessage, fromJSON, stringifyJSON, toJSON, IgtlError, type IgtlMessage } from '../../src/index.js';
import { compareToManifest, manifest, messageVectors, vectorBytes } from '../support/vectors.js';

describe('golden vectors', () => {
  for (const entry of messageVectors()) {
    it(`${entry.file} decodes to the manifest and re-encodes byte for byte`, () => {
      const bytes = vectorBytes(entry.file);
      const msg = decodeMessage(bytes);
      const json = toJSON(msg);
      const expected: Record<string, unknown> = {
        type: entry.type,
        headerVersion: entry.headerVersion,
        deviceName: entry.deviceName,
        timestampRaw: entry.timestampRaw,
        content: entry.content,
      };
      if (entry.headerVersion === 2) {
        expected.messageId = entry.messageId;
        expected.metadata = entry.metadata!.map(({ key, encoding, value }) => ({ key, encoding, value }));
      }
      expect(compareToManifest(expected, json)).toEqual([]);
      expect(Buffer.from(encodeMessage(msg)).equals(Buffer.from(bytes))).toBe(true);
      const again = fromJSON(JSON.parse(stringifyJSON(json)));
      expect(Buffer.from(encodeMessage(again)).equals(Buffer.from(bytes))).toBe(true);
    });
  }

  for (const entry of manifest.filter((e) => e.kind === 'error')) {
    it(`${entry.file} is reported as ${entry.error}`, () => {
      const results = decodeAll(vectorBytes(entry.file));
      const errors = results.filter((r): r is IgtlError => r instanceof IgtlError);
      expect(errors.map((e) => e.code)).toContain(entry.error);
      if (entry.type !== undefined) {
        const err = errors.find((e) => e.code === entry.error)!;
        expect(err.header?.type).toBe(entry.type);
        expect(err.header?.deviceName).toBe(entry.deviceName);
      }
    });
  }

  for (const entry of manifest.filter((e) => e.kind === 'stream')) {
    it(`${entry.file} decodes to its ${entry.messageCount} messages in order`, () => {
      const results = decodeAll(vectorBytes(entry.file));
      expect(results.every((r) => !(r instanceof IgtlError))).toBe(true);
      const msgs = results as IgtlMessage[];
      expect(msgs.map((m) => (m.type === 'UNKNOWN' ? m.typeName : m.type))).toEqual(entry.messages!.map((m) => m.type));
      expect(msgs.map((m) => m.deviceName)).toEqual(entry.messages!.map((m) => m.deviceName));
    });
  }
});
