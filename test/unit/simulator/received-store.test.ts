// The simulator's store of what clients sent: newest per name, bounded in names and bytes.
import { describe, expect, it } from 'vitest';
import { createMessage, encodedSize, type IgtlMessage } from '../../../src/index.js';
import { ReceivedStore } from '../../../src/simulator/received-store.js';

const note = (name: string, text: string): IgtlMessage => createMessage('STRING', { encoding: 3, value: text }, { deviceName: name });
const names = (store: ReceivedStore) => [...store.values()].map((m) => m.deviceName);

describe('ReceivedStore', () => {
  it('keeps the newest message per key; a key sent again becomes the newest', () => {
    const store = new ReceivedStore(2, Infinity);
    store.set('a', note('a', '1'));
    store.set('b', note('b', '1'));
    store.set('a', note('a', '2'));
    store.set('c', note('c', '1'));
    expect(names(store)).toEqual(['a', 'c']);
    expect([...store.values()][0]).toMatchObject({ content: { value: '2' } });
  });

  it('evicts the oldest keys over its byte bound, counting each message once', () => {
    const size = encodedSize(note('a', 'x'.repeat(100)));
    const store = new ReceivedStore(1000, 2 * size);
    store.set('a', note('a', 'x'.repeat(100)));
    store.set('a', note('a', 'y'.repeat(100)));
    store.set('b', note('b', 'x'.repeat(100)));
    expect(names(store)).toEqual(['a', 'b']);
    expect(store.byteSize).toBe(2 * size);
    store.set('c', note('c', 'x'.repeat(100)));
    expect(names(store)).toEqual(['b', 'c']);
    expect(store.byteSize).toBe(2 * size);
  });

  it('keeps one message larger than the whole bound, alone', () => {
    const store = new ReceivedStore(1000, 100);
    store.set('a', note('a', 'small'));
    store.set('big', note('big', 'x'.repeat(500)));
    expect(names(store)).toEqual(['big']);
  });
});
