import { defer, map, type Observable, type SchedulerLike } from 'rxjs';
import { monotonicScheduler } from '../src/connection/scheduler.js';
import { fullDeviceName, isRtsSuccess, wireType, type IgtlMessage, type IgtlMessageOf, type IgtlType, type UnknownMessage } from '../src/index.js';
import { DataNotAvailableError, QueryFailedError, type ReplyLostError } from './errors.js';
import { messageToken, type ReplyMatcher } from './internal/correlator.js';
import type { IgtlPeer } from './internal/peer.js';
import { baseType, queryPrefix, rtsStatus, type QueryBaseName } from '../src/protocol/query-names.js';
import { request as sendRequest } from './internal/request.js';

/** Options of {@link query}. */
export interface QueryOptions {
  /** Give up after this long, ms (default 5000; `Infinity` waits forever). */
  readonly timeoutMs?: number;
  /** Scheduler of the timeout (tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
}

/** The message type named `N`, or UnknownMessage for a name igtl-rx has no codec for. */
type MessageNamed<N extends string> = N extends IgtlType ? IgtlMessageOf<N> : UnknownMessage;

/**
 * What a query of type `K` is answered with (OpenIGTLink Documents/Protocol/query.md): `GET_IMAGE` -> IMAGE or
 * RTS_IMAGE; `STT_TDATA`/`STP_TDATA` -> RTS_TDATA. Reply types igtl-rx has no codec for
 * arrive as {@link UnknownMessage} (RTS_STRING and RTS_VIDEO have codecs: one status byte).
 */
export type QueryReplyOf<K extends string> = K extends `GET_${infer B}`
  ? MessageNamed<QueryBaseName<B>> | MessageNamed<`RTS_${B}`>
  : K extends `${'STT_' | 'STP_'}${infer B}`
    ? MessageNamed<`RTS_${B}`>
    : IgtlMessage;

/** The reply type of a request message (any message when the request type is not a literal). */
export type QueryReply<M extends IgtlMessage> = IgtlMessage extends M ? IgtlMessage : M extends { readonly type: 'UNKNOWN' } ? IgtlMessage : QueryReplyOf<M['type']>;

/**
 * Sends a query and emits its one reply: a `GET_<T>` is answered by the `<T>` message or by
 * `RTS_<T>`, an `STT_<T>`/`STP_<T>` by `RTS_<T>` (OpenIGTLink Documents/Protocol/query.md). Cold: nothing is sent
 * until you subscribe, and every subscription sends its own request.
 *
 * ```
 * peer:        ---s---r---   s: IMAGE "CT" (not asked for), r: IMAGE "US"
 * query(GET_IMAGE "US")
 *              ^------(r|)   GET_IMAGE "US" is sent at subscription
 * timeout:     ^---------#   QueryTimeoutError after timeoutMs
 * RTS_ error:  ^---#         an RTS_IMAGE with an error status: QueryFailedError
 * no data:     ^---#         an IMAGE "US" of empty content: DataNotAvailableError
 * ```
 *
 * Correlation: a reply that echoes the request's v3 message ID belongs to it (the
 * igtl-rx server echoes it; when the request is in v3 framing, `query` gives it a fresh ID from
 * `peer.nextMessageId()` if it has none). Otherwise the reply is matched the way 3D Slicer does
 * it: the first waiting query whose base type equals the reply's and whose device name is empty
 * (= any) or equal to the reply's (an `RTS_` with an empty device name answers any device).
 * Names are compared whole (`fullDeviceName`: a name over 20 bytes is in `IGTL_DEVICE_NAME`
 * metadata). PLUS answers some named queries without the name (PlusLib
 * vtkPlusOpenIGTLinkServer.cxx), and those answers are taken too: an unnamed STATUS for
 * GET_STATUS (but not PLUS's v1 keep-alive STATUS once the peer has sent v3 framing, see
 * docs/connections.md), an unnamed POINT for GET_POINT, IMGMETA "PlusServerImageMetaD" for
 * GET_IMGMETA, POLYDATA "PlusServer" whose `fileName` metadata is the requested file for
 * GET_POLYDATA.
 * So any number of queries can be in flight, answered in any order; identical queries
 * (same type and device) may of course be answered in either order. A reply that echoes the ID
 * of a query that already timed out, was unsubscribed or was answered (a duplicate) is dropped,
 * never handed to another query. With a peer
 * that echoes no ID, a query given up stays in line as a ghost that drops the first reply it
 * would have taken, for as long again as its timeout (docs/operators.md#query). Streams and replies share one connection: a streamed `<T>` of the same device can
 * answer a `GET_<T>` by name; that is what the protocol allows.
 *
 * Errors: {@link QueryTimeoutError} (no reply within `timeoutMs`), {@link DataNotAvailableError}
 * (a `GET_<T>` answered with an empty `<T>`: the peer has no such data, OpenIGTLink
 * Documents/Protocol/query.md; seen on a peer that reports its decode errors, `errors$`), {@link QueryFailedError}
 * (an `RTS_` whose status is not success, see `isRtsSuccess`), the error of `peer.send` when
 * the request cannot be sent, a {@link ReplyLostError} when the channel it was written on is lost
 * (the connection reconnects: the reply can only come on that channel; through a bridge, also
 * when the bridge loses its link to the server), a ConnectionError when
 * the connection ends first.
 *
 * @example
 * const image = await firstValueFrom(query(conn, createMessage('GET_IMAGE', {}, { deviceName: 'US' })));
 * if (image.type === 'IMAGE') show(image.content);
 *
 * @param peer  the connection (any {@link IgtlPeer}: an `IgtlConnection` or a server session)
 * @param request  the query (`GET_*`, `STT_*`, `STP_*`), or any message answered by a message
 *   of the same base type or its `RTS_`
 * @param options  timeout (default 5000 ms) and scheduler
 */
export function query<M extends IgtlMessage>(peer: IgtlPeer, request: M, options: QueryOptions = {}): Observable<QueryReply<M>> {
  return queryReporting(peer, request, options);
}

/**
 * {@link query}, telling `onSent` whether the request was written (internal: `stream` needs to
 * know whether its STT_ reached the peer, or was taken back from the queue unwritten).
 */
export function queryReporting<M extends IgtlMessage>(peer: IgtlPeer, request: M, options: QueryOptions, onSent?: (written: boolean) => void): Observable<QueryReply<M>> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const scheduler = options.scheduler ?? monotonicScheduler;
  return defer(() => {
    const sent: IgtlMessage = request.headerVersion === 2 && request.messageId === 0 ? { ...request, messageId: peer.nextMessageId() } : request;
    return sendRequest(peer, sent, queryMatcher(sent, peer), timeoutMs, scheduler, onSent).pipe(
      map((reply) => {
        // An empty <T> (decoded as an UnknownMessage with no content, see EmptyContentError).
        if (reply.type === 'UNKNOWN' && reply.content.raw.length === 0 && queryPrefix(reply.typeName) === undefined) throw new DataNotAvailableError(sent, reply);
        const status = rtsStatus(reply);
        if (status !== undefined && !isRtsSuccess(wireType(reply), { status })) throw new QueryFailedError(sent, reply, status);
        // The matcher accepted only replies of the request's base type, which is what QueryReply<M> says.
        return reply as QueryReply<M>;
      }),
    );
  });
}

/**
 * How replies to `request` are recognised (see {@link query}). `peer` (optional) tells whether the
 * peer has sent v3 framing, which is how PLUS's keep-alive STATUS is told from its answers.
 */
export function queryMatcher(request: IgtlMessage, peer?: Pick<IgtlPeer, 'peerHeaderVersion'>): ReplyMatcher {
  const type = wireType(request);
  const base = baseType(type);
  const dataAnswers = queryPrefix(type) !== 'STT_' && queryPrefix(type) !== 'STP_';
  const device = request.deviceName;
  const full = fullDeviceName(request);
  // GET_POLYDATA names the file to load (device name, or `filename` metadata in v3 framing);
  // PLUS answers with a POLYDATA named "PlusServer" whose `fileName` metadata is that file
  // (PlusLib vtkPlusOpenIGTLinkServer.cxx, GET_POLYDATA branch of DataReceiverThread).
  const file = base === 'POLYDATA' ? (request.metadata.get('filename')?.value ?? full) : undefined;
  return {
    token: request.headerVersion === 2 && request.messageId !== 0 ? messageToken(request.messageId) : undefined,
    byName: true,
    accepts(msg) {
      const replyType = wireType(msg);
      if (baseType(replyType) !== base) return false;
      const prefix = queryPrefix(replyType);
      if (prefix === 'RTS_') return device === '' || msg.deviceName === '' || sameDevice(msg, device, full);
      if (prefix !== undefined || !dataAnswers) return false;
      if (device === '' || sameDevice(msg, device, full)) return true;
      return unnamedAnswer(msg, base, file, peer);
    },
  };
}

/** Whether `msg` names the device `device` (header field) or `full` (the full name). */
function sameDevice(msg: IgtlMessage, device: string, full: string): boolean {
  return msg.deviceName === device || fullDeviceName(msg) === full;
}

/**
 * The replies PLUS sends to a named query without that name (PlusLib
 * src/PlusServer/vtkPlusOpenIGTLinkServer.cxx, DataReceiverThread and
 * CreateIgtlMessageFromCommandResponse): an unnamed STATUS for GET_STATUS, an unnamed POINT for
 * GET_POINT, an IMGMETA named "PlusServerImageMetaData" (on the wire "PlusServerImageMetaD": the
 * C++ library cuts names to 20 bytes) for GET_IMGMETA, a POLYDATA named
 * "PlusServer" with the file in `fileName` metadata for GET_POLYDATA.
 *
 * PLUS also sends an unnamed STATUS as a keep-alive (KeepAlive(): `igtl::StatusMessage::New()`,
 * so always header version 1), while it answers GET_STATUS in the highest header version it has
 * received from the client. A peer that has sent us v3 framing has received v3 framing from us,
 * so from then on an unnamed v1 STATUS is a keep-alive, never an answer. (Before that the two
 * are the same bytes and say the same thing: the server is up.) PLUS's answer carries no
 * metadata; 3D Slicer's unnamed STATUS sent on connect carries `dummy` metadata (SlicerOpenIGTLink
 * vtkMRMLIGTLConnectorNode.cxx, ConnectedEvent) and answers nothing: Slicer answers no GET_STATUS.
 */
function unnamedAnswer(msg: IgtlMessage, base: string, file: string | undefined, peer: Pick<IgtlPeer, 'peerHeaderVersion'> | undefined): boolean {
  switch (base) {
    case 'STATUS':
      return msg.deviceName === '' && msg.metadata.size === 0 && !(msg.headerVersion === 1 && peer?.peerHeaderVersion === 2);
    case 'POINT':
      return msg.deviceName === '';
    case 'IMGMETA':
      // 23 bytes: the C++ library's Pack() strncpy's it into the 20-byte field.
      return msg.deviceName === 'PlusServerImageMetaD' || fullDeviceName(msg) === 'PlusServerImageMetaData';
    case 'POLYDATA':
      return file !== undefined && msg.metadata.get('fileName')?.value === file;
    default:
      return false;
  }
}