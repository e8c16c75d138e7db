// Compile-time tests of the error-code union (type-checked by `tsc -p tsconfig.test.json`): the
// core lists its codes in IgtlErrorCodes, and igtl-rx/operators adds its own two by declaration
// merging, so one `err.code` union covers both layers.
import { describe, expectTypeOf, it } from 'vitest';
import { IgtlError, TimeoutError, type IgtlErrorCode, type IgtlErrorCodes } from '../../src/index.js';
import { CommandFailedError, QueryFailedError } from '../../operators/index.js';

describe('IgtlErrorCode', () => {
  it('is the names of IgtlErrorCodes: the core codes and the operators\' codes', () => {
    expectTypeOf<IgtlErrorCode>().toEqualTypeOf<keyof IgtlErrorCodes>();
    expectTypeOf<'timeout' | 'desync' | 'dead-peer'>().toExtend<IgtlErrorCode>();
    expectTypeOf<'query-failed' | 'command-failed'>().toExtend<IgtlErrorCode>();
    expectTypeOf<'no-such-code'>().not.toExtend<IgtlErrorCode>();
  });

  it('types err.code on every IgtlError, operator errors included', () => {
    expectTypeOf<IgtlError['code']>().toEqualTypeOf<IgtlErrorCode>();
    expectTypeOf<TimeoutError['code']>().toEqualTypeOf<IgtlErrorCode>();
    expectTypeOf<QueryFailedError['code']>().toEqualTypeOf<IgtlErrorCode>();
    expectTypeOf<CommandFailedError['code']>().toEqualTypeOf<IgtlErrorCode>();
  });
});
