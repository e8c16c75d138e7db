// CodecRegistry: lookups (with the last one remembered) always give the codec registered now.
import { describe, expect, it } from 'vitest';
import { CodecRegistry, defaultRegistry } from '../../../src/index.js';

describe('CodecRegistry', () => {
  it('a codec registered after a lookup of its type replaces it for the next lookup', () => {
    const registry = defaultRegistry.clone();
    const original = registry.get('STRING')!;
    expect(registry.get('STRING')).toBe(original); // remembered
    const mine = { ...original, decode: () => ({ encoding: 3, value: 'mine' }) };
    registry.register(mine);
    expect(registry.get('STRING')).toBe(mine);
    expect(defaultRegistry.get('STRING')).toBe(original); // the clone's change stays in the clone
  });

  it('remembers an unknown type as unknown, until it is registered', () => {
    const registry = new CodecRegistry();
    expect(registry.get('MYTYPE')).toBeUndefined();
    expect(registry.get('MYTYPE')).toBeUndefined();
    const codec = { ...defaultRegistry.get('STRING')!, type: 'MYTYPE' };
    registry.register(codec);
    expect(registry.get('MYTYPE')).toBe(codec);
    expect(registry.get('STRING')).toBeUndefined();
    expect(registry.get('MYTYPE')).toBe(codec);
  });
});
