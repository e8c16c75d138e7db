// Compile-time tests of the operators' types. They run under vitest (expectTypeOf is a no-op at
// run time) and, what matters, are type-checked by `tsc -p tsconfig.test.json`: a narrowing that
// breaks fails the build, and so does a @ts-expect-error that no longer finds an error.
import { EMPTY, type Observable, type OperatorFunction } from 'rxjs';
import { describe, expectTypeOf, it } from 'vitest';
import { createMessage } from '../../src/index.js';
import type {
  IgtlConnection, IgtlMessage, IgtlMessageOf, ImageMessage, PointMessage, QuaternionTrackingDataMessage,
  StatusMessage, TrackingDataMessage, TransformMessage, UnknownMessage,
} from '../../src/index.js';
import {
  command, ofDevice, ofElement, ofType, pairByTimestamp, query, sendTo, splitElements, stream, throttleTracking, measureRate, validPoses, watchFreshness,
  type CommandResult, type FreshnessChange, type IgtlPeer, type PairResult, type RateReport,
} from '../../operators/index.js';

// Values exist at run time too (vitest runs this file), but nothing here subscribes to a peer.
const messages$: Observable<IgtlMessage> = EMPTY;
const peer: IgtlPeer = {
  subscribe: () => ({ unsubscribe: () => undefined }),
  send: () => new Promise(() => undefined),
  nextMessageId: () => 1,
  nextCommandId: () => 1,
};
const getImage = createMessage('GET_IMAGE', {}, { deviceName: 'US' });
const sttTdata = createMessage('STT_TDATA', { resolution: 0, coordinateName: '' });
const getTrans = createMessage('GET_TRANS', {});
const getString = createMessage('GET_STRING', {});
const anyMessage = ((m: IgtlMessage): IgtlMessage => m)(getImage);

describe('operator types', () => {
  it('ofType narrows to one message type', () => {
    expectTypeOf(messages$.pipe(ofType('TRANSFORM'))).toEqualTypeOf<Observable<TransformMessage>>();
  });

  it('ofType narrows to the union of several types', () => {
    expectTypeOf(messages$.pipe(ofType('TRANSFORM', 'TDATA'))).toEqualTypeOf<Observable<TransformMessage | TrackingDataMessage>>();
  });

  it("ofType('UNKNOWN') gives UnknownMessage", () => {
    expectTypeOf(messages$.pipe(ofType('UNKNOWN'))).toEqualTypeOf<Observable<UnknownMessage>>();
  });

  it('ofType on its own is an operator from any message', () => {
    expectTypeOf(ofType('STATUS')).toEqualTypeOf<OperatorFunction<IgtlMessage, StatusMessage>>();
  });

  it('ofType narrows within an already narrowed stream', () => {
    expectTypeOf(messages$.pipe(ofType('TRANSFORM', 'TDATA'), ofType('TDATA'))).toEqualTypeOf<Observable<TrackingDataMessage>>();
  });

  it('ofType refuses a name that is not a message type', () => {
    // @ts-expect-error 'TRANSFOR' is not a type discriminant
    messages$.pipe(ofType('TRANSFOR'));
    // @ts-expect-error IMAGE is not left after ofType('TRANSFORM')
    messages$.pipe(ofType('TRANSFORM'), ofType('IMAGE'));
    // @ts-expect-error at least one type is required
    ofType();
  });

  it('ofType makes fields of other types unreachable', () => {
    messages$.pipe(ofType('TRANSFORM')).subscribe((m) => {
      expectTypeOf(m.content.matrix).toEqualTypeOf<readonly number[]>();
      // @ts-expect-error a TRANSFORM has no TDATA elements
      void m.content.elements;
    });
  });

  it('ofDevice keeps the type, so it composes with ofType either way', () => {
    expectTypeOf(messages$.pipe(ofType('TRANSFORM'), ofDevice('Stylus*'))).toEqualTypeOf<Observable<TransformMessage>>();
    expectTypeOf(messages$.pipe(ofDevice(/Probe/), ofType('IMAGE'))).toEqualTypeOf<Observable<ImageMessage>>();
    messages$.pipe(ofType('TDATA'), ofDevice((name, msg) => {
      expectTypeOf(name).toEqualTypeOf<string>();
      expectTypeOf(msg).toEqualTypeOf<TrackingDataMessage>();
      return true;
    }));
  });

  it('splitElements keeps the type; ofElement narrows to the element-list types', () => {
    expectTypeOf(messages$.pipe(ofType('TDATA'), splitElements())).toEqualTypeOf<Observable<TrackingDataMessage>>();
    expectTypeOf(messages$.pipe(splitElements(), ofElement('Stylus'))).toEqualTypeOf<Observable<TrackingDataMessage | QuaternionTrackingDataMessage | PointMessage>>();
    expectTypeOf(messages$.pipe(ofType('TDATA', 'TRANSFORM'), ofElement('Stylus'))).toEqualTypeOf<Observable<TrackingDataMessage>>();
  });

  it('the tracking operators keep the type and report rates', () => {
    expectTypeOf(messages$.pipe(ofType('TRANSFORM'), throttleTracking(30))).toEqualTypeOf<Observable<TransformMessage>>();
    expectTypeOf(messages$.pipe(ofType('TRANSFORM'), measureRate())).toEqualTypeOf<Observable<RateReport>>();
    // A change carries the key's newest message with its narrowed type.
    expectTypeOf(messages$.pipe(ofType('TRANSFORM', 'TDATA'), watchFreshness({ staleAfterMs: 500 }))).toEqualTypeOf<Observable<FreshnessChange<TransformMessage | TrackingDataMessage>>>();
    // validPoses keeps the narrowed type.
    expectTypeOf(messages$.pipe(ofType('TRANSFORM', 'TDATA'), validPoses())).toEqualTypeOf<Observable<TransformMessage | TrackingDataMessage>>();
    // Not called: it would throw its RangeError at run time.
    // @ts-expect-error staleAfterMs is required
    const withoutThreshold = () => watchFreshness({});
    void withoutThreshold;
    messages$.pipe(ofType('TRANSFORM'), throttleTracking(30, { key: (m) => {
      expectTypeOf(m).toEqualTypeOf<TransformMessage>();
      return m.deviceName;
    } }));
  });

  it('pairByTimestamp emits a union of paired and unmatched results', () => {
    const paired = messages$.pipe(ofType('IMAGE'), pairByTimestamp(messages$.pipe(ofType('TRANSFORM')), { toleranceMs: 10 }));
    expectTypeOf(paired).toEqualTypeOf<Observable<PairResult<ImageMessage, TransformMessage>>>();
    paired.subscribe((r) => {
      if (r.kind === 'paired') expectTypeOf(r.partner).toEqualTypeOf<TransformMessage>();
      // @ts-expect-error only a paired result has a partner
      else void r.partner;
    });
  });

  it('query types the reply from the request type', () => {
    expectTypeOf(query(peer, getImage)).toEqualTypeOf<Observable<ImageMessage | IgtlMessageOf<'RTS_IMAGE'>>>();
    expectTypeOf(query(peer, sttTdata)).toEqualTypeOf<Observable<IgtlMessageOf<'RTS_TDATA'>>>();
    expectTypeOf(query(peer, getTrans)).toEqualTypeOf<Observable<TransformMessage | IgtlMessageOf<'RTS_TRANS'>>>();
    expectTypeOf(query(peer, getString)).toEqualTypeOf<Observable<IgtlMessageOf<'STRING'> | IgtlMessageOf<'RTS_STRING'>>>();
    expectTypeOf(query(peer, anyMessage)).toEqualTypeOf<Observable<IgtlMessage>>();
  });

  it('command emits a CommandResult; stream emits the streamed type; sendTo keeps the type', () => {
    expectTypeOf(command(peer, 'Version')).toEqualTypeOf<Observable<CommandResult>>();
    expectTypeOf(stream(peer, 'TDATA')).toEqualTypeOf<Observable<TrackingDataMessage>>();
    expectTypeOf(stream(peer, 'TRANSFORM')).toEqualTypeOf<Observable<TransformMessage>>();
    // @ts-expect-error STATUS cannot be streamed with STT_
    stream(peer, 'STATUS');
    expectTypeOf(messages$.pipe(ofType('TRANSFORM'), sendTo(peer, { policy: 'latest' }))).toEqualTypeOf<Observable<TransformMessage>>();
    // @ts-expect-error not a send policy
    sendTo(peer, { policy: 'newest' });
  });

  it('CommandResult has the reply message and the attributes', () => {
    expectTypeOf<CommandResult['reply']>().toEqualTypeOf<IgtlMessage>();
    expectTypeOf<CommandResult['attributes']>().toEqualTypeOf<ReadonlyMap<string, string>>();
  });

  it('an IgtlConnection is an IgtlPeer', () => {
    expectTypeOf<IgtlConnection>().toExtend<IgtlPeer>();
  });
});
