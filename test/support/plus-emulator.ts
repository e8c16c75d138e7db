/**
 * An emulated PlusServer: the wire behaviour of PlusLib's OpenIGTLink server, rebuilt from facts
 * read in its sources (no code of theirs). Each behaviour names the file and function it comes
 * from, with approximate line numbers (counted in the stored copies read through the search tools)
 * of the versions read (PlusToolkit/PlusLib, commit 483130df for the server,
 * f4e6e889 for the message factory, 00762361 for vtkPlusIgtlMessageCommon.cxx,
 * 1869d8d1 for vtkPlusVersionCommand.cxx; openigtlink/OpenIGTLink 025f1391 for igtlMessageBase.cxx).
 *
 * S1 vtkPlusOpenIGTLinkServer.cxx ~L83-L110 (constructor): IGTLHeaderVersion = IGTL_HEADER_VERSION_2,
 *    KeepAliveIntervalSec = CLIENT_SOCKET_TIMEOUT_SEC / 2 = 0.5 / 2 = 0.25 s; NUMBER_OF_RECENT_COMMAND_IDS_STORED = 10.
 * S2 ~L415-L435 (SendLatestFramesToClients): with no new frame, once more than KeepAliveIntervalSec has
 *    passed since the last packet, KeepAlive() runs.
 * S3 ~L1090-L1125 (KeepAlive): `igtl::StatusMessage::New()`, code STATUS_OK, no device name, Pack():
 *    MessageBase() starts at IGTL_HEADER_VERSION_1 with message ID 0 (igtlMessageBase.cxx L31-L50),
 *    so the keep-alive is always a v1, unnamed, OK STATUS, whatever the client speaks.
 * S4 ~L545-L553 (DataReceiverThread): the client's header version is the highest seen in its
 *    headers, capped by the server's; every reply is created in that version.
 * S5 ~L575-L585 (GET_STATUS): body skipped; reply STATUS code OK, device name never set (unnamed),
 *    message ID not echoed.
 * S6 ~L640-L672 (COMMAND): a COMMAND_ID among the last 10 received from that client is ignored;
 *    otherwise queued with its device name.
 * S7 ~L673-L716 (STT_TDATA / STP_TDATA): answered with RTS_TDATA status 0, device name not set.
 * S8 ~L777-L781 (STATUS from the client): skipped ("used as a keep-alive").
 * S9 ~L782-L806 (GET_IMGMETA): answered (CreateIgtlMessageFromCommandResponse, ~L1260) with an IMGMETA
 *    named "PlusServerImageMetaData", whatever device the request named: 23 bytes, which Pack()
 *    `strncpy`s into the 20-byte field, so the wire says "PlusServerImageMetaD" (no metadata).
 * S10 ~L1283-L1330 (CreateIgtlMessageFromCommandResponse, RTS_COMMAND): device name = the COMMAND's,
 *    same command name and ID; text `<CommandReply Name="n" Status="SUCCESS|FAIL"[ Error="e"] Message="m"></CommandReply>`
 *    written with `<<`, no escaping; metadata Message (default format), the command's parameters,
 *    Status, and Error on failure. Metadata reaches the wire only in v3 framing (MessageBase packs
 *    it only for IGTL_HEADER_VERSION_2, igtlMessageBase.cxx PackMetaData).
 * S11 vtkPlusVersionCommand.cxx Execute(): result "Success.", parameters PlusVersion,
 *    IGTLProtocolVersion (3) and IGTLHeaderVersion (the server's, 2).
 * S12 vtkPlusIgtlMessageCommon.cxx PackTransformMessage (~L560-L590): metadata TransformValid and
 *    TransformStatus; a transform name over IGTL_TDATA_LEN_NAME (20) is cut to 20 bytes in the
 *    header and sent whole in metadata IGTL_DEVICE_NAME. The factory (vtkPlusIgtlMessageFactory.cxx
 *    PackMessages) creates it in the client's header version.
 * S13 ~L1243-L1256 (legacy STRING command reply): STRING on `ACK_<id>`, `<CommandReply Status=".." Message=".." />`
 *    with the message XML-encoded.
 * S14 vtkPlusIgtlMessageCommon.cxx GetIgtlMatrix (~L55-L85): the matrix starts as the identity and
 *    is returned as it is when the tool's status is not OK, so a lost tool's TRANSFORM (and
 *    POSITION) carries the identity; only TransformStatus/TransformValid say it is not a pose.
 *    Sent at all only with SendValidTransformsOnly="FALSE" (vtkPlusIgtlMessageFactory.cxx
 *    PackTransformMessage / PackTrackingDataMessage skip a non-OK transform otherwise), but for
 *    POSITION: PackPositionMessage has no such check, so a lost tool's POSITION is always sent.
 * S16 vtkPlusCommandProcessor.cxx QueueCommand / CreatePlusCommand (commit 483130df): a command that
 *    cannot be created (unknown name, XML that does not parse or whose root is not `Command`, a
 *    configuration it cannot read) is answered at once, and without its command name or ID where
 *    the form has no room for them: a COMMAND by QueueCommandResponse, an RTS_COMMAND with the
 *    COMMAND_ID but an empty COMMAND_NAME (CommandName is never set), Status FAIL, Error
 *    "Unknown command type requested.", Message empty (ResultString never set); a legacy STRING
 *    command by QueueStringResponse on the device name's prefix, i.e. a STRING named `CMD` (not
 *    `ACK_<id>`: the ID was cut off by GetPrefixFromCommandDeviceName in DataReceiverThread),
 *    `<CommandReply Status="FAIL" Message="Error attempting to process command." />`.
 * S15 vtkPlusIgtlMessageCommon.cxx PackTrackingDataMessage (~L620-L670): one element per transform
 *    (invalid ones included, with the repository's matrix as it is), type 6D, the name cut to
 *    IGTL_TDATA_LEN_NAME (20); metadata `<full name>Status` (the tool status as text) and
 *    `<full name>Index` (0, 1, ...); device name `TDATA_<n>Elem`.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  IDENTITY,
  MessageDecoder,
  Timestamp,
  createMessage,
  encodeMessage,
  metadataOf,
  type HeaderVersion,
  type IgtlMessage,
  type IgtlType,
  type IgtlContentMap,
  type Matrix4,
} from '../../src/node.js';

/** What a command handler returns (vtkPlusCommandRTSCommandResponse). */
export interface PlusCommandResult {
  readonly status: boolean;
  /** The command answers with its own text instead of `<CommandReply .../>` (GetUseDefaultFormat() false, S10). */
  readonly raw?: boolean;
  readonly message: string;
  readonly error?: string;
  readonly parameters?: Readonly<Record<string, string>>;
}

export interface PlusEmulatorOptions {
  /** Keep-alive interval, ms (S1: 250). */
  readonly keepAliveMs?: number;
  /** Command handlers by name (Version is built in, S11). */
  readonly commands?: Readonly<Record<string, (xml: string) => PlusCommandResult>>;
}

interface Client {
  readonly socket: Socket;
  version: HeaderVersion;
  readonly recentIds: number[];
  lastSent: number;
  readonly received: IgtlMessage[];
}

const SERVER_HEADER_VERSION: HeaderVersion = 2; // S1

export class PlusEmulator {
  private readonly server: Server;
  private readonly clients = new Set<Client>();
  private readonly timer: NodeJS.Timeout;
  /** Every message received, per client in connection order. */
  readonly received: IgtlMessage[][] = [];
  /** Keep-alive STATUS messages sent. */
  keepAlives = 0;

  private constructor(private readonly options: PlusEmulatorOptions) {
    this.server = createServer((socket) => this.accept(socket));
    const interval = options.keepAliveMs ?? 250;
    // S2: the sender loop polls every few ms (DELAY_ON_NO_NEW_FRAMES_SEC = 5 ms).
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const c of this.clients) {
        if (now - c.lastSent > interval) this.keepAlive(c);
      }
    }, 5);
  }

  static async start(options: PlusEmulatorOptions = {}): Promise<PlusEmulator> {
    const emulator = new PlusEmulator(options);
    await new Promise<void>((resolve) => emulator.server.listen(0, '127.0.0.1', resolve));
    return emulator;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Header version the server now answers client `i` in (S4). */
  clientVersion(i = 0): HeaderVersion {
    return [...this.clients][i]!.version;
  }

  /** Sends one tracked frame's TRANSFORM to every client, as PackTransformMessage does (S12, S14). */
  sendTransform(name: string, matrix: Matrix4, status = 'OK'): void {
    if (status !== 'OK') matrix = IDENTITY; // S14
    for (const c of this.clients) {
      const metadata: Record<string, string> = { TransformValid: status === 'OK' ? '1' : '0', TransformStatus: status };
      let header = name;
      if (Buffer.byteLength(name) > 20) {
        header = Buffer.from(name).subarray(0, 20).toString('latin1');
        metadata['IGTL_DEVICE_NAME'] = name;
      }
      this.send(c, 'TRANSFORM', { matrix }, header, metadata);
    }
  }

  /**
   * Sends one tracked frame's TDATA to every client (S15): `matrix` is the repository's (for a
   * tool whose status is not OK, its last matrix as it is).
   */
  sendTrackingData(tools: readonly { readonly name: string; readonly matrix: Matrix4; readonly status?: string }[]): void {
    const metadata: Record<string, string> = {};
    tools.forEach((t, i) => {
      metadata[`${t.name}Status`] = t.status ?? 'OK';
      metadata[`${t.name}Index`] = String(i);
    });
    const elements = tools.map((t) => ({ name: Buffer.from(t.name).subarray(0, 20).toString(), type: 2, matrix: t.matrix }));
    for (const c of this.clients) this.send(c, 'TDATA', { elements }, `TDATA_${tools.length}Elem`, metadata);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const c of this.clients) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---------------------------------------------------------------------------------------------

  private accept(socket: Socket): void {
    const client: Client = { socket, version: 1, recentIds: [], lastSent: Date.now(), received: [] };
    this.clients.add(client);
    this.received.push(client.received);
    socket.on('close', () => this.clients.delete(client));
    socket.on('error', () => undefined);
    const decoder = new MessageDecoder({ message: (m) => this.onMessage(client, m), error: () => undefined });
    socket.on('data', (chunk) => decoder.push(chunk));
  }

  /**
   * Encodes as the C++ library packs (igtlMessageBase.cxx Pack): metadata only in v3 framing, no
   * message ID, and the device name `strncpy`'d into its 20 bytes, so a longer one is cut silently.
   */
  private send<K extends IgtlType>(c: Client, type: K, content: IgtlContentMap[K], deviceName: string, metadata: Record<string, string> = {}, version = c.version): void {
    const msg = createMessage(type, content, {
      headerVersion: version,
      deviceName: Buffer.from(deviceName).subarray(0, 20).toString(),
      timestamp: Timestamp.now(),
      ...(version === 2 ? { metadata: metadataOf(metadata) } : {}),
    });
    c.lastSent = Date.now();
    if (!c.socket.destroyed) c.socket.write(encodeMessage(msg as IgtlMessage));
  }

  private keepAlive(c: Client): void {
    // S3: v1, unnamed, STATUS_OK, whatever the client's version.
    this.keepAlives++;
    this.send(c, 'STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, '', {}, 1);
  }

  private onMessage(c: Client, msg: IgtlMessage): void {
    c.received.push(msg);
    // S4
    if (msg.headerVersion > c.version) c.version = Math.min(SERVER_HEADER_VERSION, msg.headerVersion) as HeaderVersion;
    switch (msg.type) {
      case 'GET_STATUS': // S5
        return this.send(c, 'STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, '');
      case 'STATUS': // S8
        return;
      case 'STT_TDATA':
      case 'STP_TDATA': // S7
        return this.send(c, 'RTS_TDATA', { status: 0 }, '');
      case 'GET_IMGMETA': // S9
        return this.send(c, 'IMGMETA', { images: [] }, 'PlusServerImageMetaData');
      case 'COMMAND':
        return this.command(c, msg.deviceName, msg.content.commandId, msg.content.commandName, msg.content.command, true);
      case 'STRING': {
        const m = /^CMD_(\d+)$/.exec(msg.deviceName);
        if (m) return this.command(c, msg.deviceName, Number(m[1]), /Name="([^"]*)"/.exec(msg.content.value)?.[1] ?? '', msg.content.value, false);
        return;
      }
      default:
        return;
    }
  }

  private command(c: Client, deviceName: string, id: number, name: string, xml: string, v3: boolean): void {
    // S6
    if (c.recentIds.includes(id)) return;
    c.recentIds.push(id);
    if (c.recentIds.length > 10) c.recentIds.shift();
    const handler = name === 'Version' ? versionCommand : this.options.commands?.[name];
    if (!handler) {
      // S16
      if (!v3) return this.send(c, 'STRING', { encoding: 3, value: '<CommandReply Status="FAIL" Message="Error attempting to process command." />' }, 'CMD');
      const text = '<CommandReply Name="" Status="FAIL" Error="Unknown command type requested." Message=""></CommandReply>';
      return this.send(c, 'RTS_COMMAND', { commandId: id, commandName: '', encoding: 3, command: text }, deviceName, { Message: '', Status: 'FAIL', Error: 'Unknown command type requested.' });
    }
    const result: PlusCommandResult = handler(xml);
    if (!v3) {
      // S13
      const text = `<CommandReply Status="${result.status ? 'SUCCESS' : 'FAIL'}" Message="${escapeXml(result.message)}" />`;
      return this.send(c, 'STRING', { encoding: 3, value: text }, `ACK_${id}`);
    }
    // S10: unescaped.
    const text = result.raw ? result.message : `<CommandReply Name="${name}" Status="${result.status ? 'SUCCESS' : 'FAIL'}"${result.status ? '' : ` Error="${result.error ?? ''}"`} Message="${result.message}"></CommandReply>`;
    const metadata: Record<string, string> = { ...(result.raw ? {} : { Message: result.message }), ...result.parameters, Status: result.status ? 'SUCCESS' : 'FAIL' };
    if (!result.status) metadata['Error'] = result.error ?? '';
    this.send(c, 'RTS_COMMAND', { commandId: id, commandName: name, encoding: 3, command: text }, deviceName, metadata);
  }
}

/** S11 */
function versionCommand(): PlusCommandResult {
  return { status: true, message: 'Success.', parameters: { PlusVersion: '2.9.0.20240101', IGTLProtocolVersion: '3', IGTLHeaderVersion: String(SERVER_HEADER_VERSION) } };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
