import { defer, map, type Observable, type SchedulerLike } from 'rxjs';
import { monotonicScheduler } from '../src/connection/scheduler.js';
import { commandXml, createMessage, defaultEncodingFor, type IgtlMessage, type Metadata, type MetadataValue } from '../src/index.js';
import { CommandFailedError, CommandReplyError, type CommandResult, type ReplyLostError } from './errors.js';
import { isCommandFailure, parseCommandReply } from './internal/command-reply.js';
import { commandToken, legacyToken, tokensOf, type ReplyMatcher } from './internal/correlator.js';
import type { IgtlPeer } from './internal/peer.js';
import { request } from './internal/request.js';

/** The device name of PLUS's answer to a legacy command it could not create (it carries no ID). */
const LEGACY_FAILURE_DEVICE = 'CMD';

/** Attributes of a `<Command Name=".." .../>` element (a Map keeps keys such as `__proto__` intact). */
export type CommandAttributes = Readonly<Record<string, string>> | ReadonlyMap<string, string>;

/** Options of {@link command}. */
export interface CommandOptions {
  /** Give up after this long, ms (default 5000, as 3D Slicer's `SendCommand`; `Infinity` waits forever). */
  readonly timeoutMs?: number;
  /** Metadata of the COMMAND (v3 only; a legacy command has none). */
  readonly metadata?: Metadata | Readonly<Record<string, string | MetadataValue>>;
  /** Device name of the COMMAND (default `command`, as 3D Slicer sends it; PLUS echoes it). */
  readonly deviceName?: string;
  /** Scheduler of the timeout (tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
  /**
   * Send the legacy form older PLUS servers take (docs/operators.md#command): a STRING on device
   * `CMD_<id>` holding the XML, answered by a STRING on device `ACK_<id>` (default false).
   */
  readonly legacy?: boolean;
}

/**
 * Sends a command and emits its parsed result: a v3 `COMMAND` answered by the `RTS_COMMAND`
 * with the same COMMAND_ID (OpenIGTLink Documents/Protocol/command.md), or, with `legacy: true`, a STRING `CMD_<id>`
 * answered by a STRING `ACK_<id>`. Cold: nothing is sent until you subscribe; every
 * subscription sends a new command with a new id.
 *
 * ```
 * peer:      -----r------   r: RTS_COMMAND, same COMMAND_ID, <CommandReply Status="SUCCESS" .../>
 * command('StartRecording', { OutputFilename: 'a.mha' })
 *            ^----(v|)      v: { status: 'SUCCESS', message, attributes, metadata, reply }
 * FAIL:      ^----#         r says Status="FAIL": CommandFailedError (result inside)
 * timeout:   ^---------#    no reply in timeoutMs: QueryTimeoutError
 * ```
 *
 * The COMMAND_ID comes from `peer.nextCommandId()`: a per-connection counter from 1, as 3D
 * Slicer numbers commands (from a random start on a `connectWebSocket` connection, whose bridge
 * shares one server connection among its pages). It never repeats on a connection, which matters
 * because PlusServer silently ignores a command whose id is one of the last 10 it received. The COMMAND goes out
 * in v3 framing with `<Command Name="name" .../>` built from `attributes` (values escaped,
 * see `commandXml`), or your own XML text when you pass a string.
 *
 * The reply's text is parsed as XML (fast-xml-parser); the root element's attributes are the
 * result's `attributes`, and `Status`, `Message` and `Error` come from those attributes, else
 * from the reply's metadata (PLUS sends both; a reply whose text is not XML still gives a
 * result from its metadata). PLUS writes the result text into the `Message` attribute
 * unescaped, so a `"` in it breaks the XML; without metadata (a v1 client gets none) such a
 * reply is read leniently in PLUS's own form. A reply that gives no status at all errors with
 * a {@link CommandReplyError} carrying the raw reply: `command` never emits a result without a
 * status. `Status="FAIL"` (any case) errors with a {@link CommandFailedError} carrying the
 * result; any other status is emitted.
 * Command-specific results (e.g. `PlusVersion` of `Version`) are in `metadata`.
 *
 * Errors: {@link CommandFailedError}, {@link CommandReplyError}, {@link QueryTimeoutError}, the error of `peer.send`
 * (for instance an EncodeError for a name over 128 bytes), an EncodeError from `commandXml`
 * for an attribute XML cannot hold, a {@link ReplyLostError} when the channel the COMMAND was written
 * on is lost (the connection reconnects, or a bridge loses its link to the server; it is not sent
 * again: a command may not be safe to repeat), a ConnectionError when the connection ends first.
 *
 * @example
 * const { metadata } = await firstValueFrom(command(conn, 'Version'));
 * console.log(metadata.get('PlusVersion')?.value);
 *
 * @example
 * command(conn, 'StartRecording', { CaptureDeviceId: 'CaptureDevice', OutputFilename: 'scan.mha' })
 *   .subscribe({ next: (r) => console.log(r.message), error: (e) => console.error(e.message) });
 *
 * @param peer  the connection
 * @param name  COMMAND_NAME and the `Name` attribute, e.g. `'Version'`
 * @param xmlOrAttributes  the command's XML text, or attributes to build `<Command Name=.. ../>` from (default: no further attributes)
 * @param options  timeout (default 5000 ms), metadata, device name (default `command`), legacy form, scheduler
 */
export function command(peer: IgtlPeer, name: string, xmlOrAttributes?: string | CommandAttributes, options: CommandOptions = {}): Observable<CommandResult> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const scheduler = options.scheduler ?? monotonicScheduler;
  return defer(() => {
    const text = typeof xmlOrAttributes === 'string' ? xmlOrAttributes : commandXml(name, xmlOrAttributes);
    const id = peer.nextCommandId();
    const encoding = defaultEncodingFor(text);
    const [msg, matcher]: [IgtlMessage, ReplyMatcher] = options.legacy
      ? [
          createMessage('STRING', { encoding, value: text }, { deviceName: `CMD_${id}` }),
          // PLUS answers a legacy command it cannot create (unknown name, bad XML) at once, on a
          // STRING named after the device name's prefix, `CMD`, without the ID
          // (vtkPlusCommandProcessor.cxx QueueCommand): taken when it can only be this one's.
          { token: legacyToken(id), byName: 'sole', accepts: (m) => m.type === 'STRING' && (m.deviceName === LEGACY_FAILURE_DEVICE || tokensOf(m).includes(legacyToken(id))) },
        ]
      : [
          createMessage('COMMAND', { commandId: id, commandName: name, encoding, command: text }, {
            deviceName: options.deviceName ?? 'command',
            headerVersion: 2,
            ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
          }),
          { token: commandToken(id), byName: false, accepts: (m) => m.type === 'RTS_COMMAND' && m.content.commandId === id },
        ];
    return request(peer, msg, matcher, timeoutMs, scheduler).pipe(
      map((reply) => {
        const parsed = parseCommandReply(reply);
        if (parsed.status === undefined) throw new CommandReplyError(msg, reply, parsed.text);
        const result: CommandResult = { ...parsed, status: parsed.status };
        if (isCommandFailure(result)) throw new CommandFailedError(msg, result);
        return result;
      }),
    );
  });
}
