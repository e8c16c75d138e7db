/**
 * An emulated 3D Slicer client (SlicerOpenIGTLink on OpenIGTLinkIO): its wire behaviour rebuilt
 * from facts read in their sources (no code of theirs); file, function and approximate lines of
 * the versions read (openigtlink/SlicerOpenIGTLink vtkMRMLIGTLConnectorNode.cxx,
 * IGSIO/OpenIGTLinkIO igtlioBaseConverter.cxx and igtlioCommandConverter.cxx).
 *
 * L1 vtkMRMLIGTLConnectorNode.cxx ProcessIOConnectorEvents, ConnectedEvent (~L1560-L1580): on
 *    connect Slicer sends an unnamed STATUS carrying metadata `dummy`=`dummy`, "existence of
 *    metadata makes the IO connector send a header v2 message", unless its
 *    OutgoingMessageHeaderVersionMaximum is set below 2: it tells the server it takes v3 framing.
 * L2 igtlioBaseConverter.cxx HeadertoIGTL (~L35-L45): the header's device name is the first
 *    IGTL_TDATA_LEN_NAME (20) bytes; a longer name is also sent whole in metadata IGTL_DEVICE_NAME.
 * L3 igtlioBaseConverter.cxx IGTLtoHeader (~L12-L22): a received name is the IGTL_DEVICE_NAME
 *    metadata when that is not empty, else the header's device name.
 * L5 vtkMRMLIGTLConnectorNode.cxx: the connector node plays either role (client or server) and
 *    sends the L1 announcement on ConnectedEvent in both. The event is queued by the I/O thread
 *    and fired from the main thread's periodic processing (igtlioConnector.cxx PeriodicProcess ->
 *    ImportEventsFromEventBuffer), so it leaves some time after the connect: after the client's
 *    first messages when Slicer is busy. It is not known to answer a GET_STATUS (no STATUS node
 *    to answer from; docs/connections.md), so the emulator answers nothing.
 * L4 converters set header version 2 when they have metadata to send (e.g. igtlioCommandConverter.cxx
 *    toIGTL, igtlioTrackingDataConverter.cxx toIGTL), and a COMMAND always carries `Status` metadata.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  MessageDecoder,
  Timestamp,
  createMessage,
  encodeMessage,
  metadataOf,
  type IgtlMessage,
  type Matrix4,
} from '../../src/node.js';

/** A message as Slicer sees it: IGTLtoHeader's device name (L3) and the message. */
export interface SlicerReceived {
  readonly name: string;
  readonly msg: IgtlMessage;
}

export class SlicerClientEmulator {
  readonly received: SlicerReceived[] = [];
  private readonly waiters: Array<() => void> = [];
  private commandId = 0;

  private constructor(private readonly socket: Socket) {
    const decoder = new MessageDecoder({
      message: (msg) => {
        // L3
        const meta = msg.metadata.get('IGTL_DEVICE_NAME')?.value;
        this.received.push({ name: meta !== undefined && meta !== '' ? meta : msg.deviceName, msg });
        for (const w of this.waiters.splice(0)) w();
      },
      error: () => undefined,
    });
    socket.on('data', (chunk) => decoder.push(chunk));
    socket.on('error', () => undefined);
  }

  /** Connects and sends the v3 announcement of L1 (unless `maxHeaderVersion` is 1). */
  static async connect(port: number, options: { maxHeaderVersion?: 1 | 2 } = {}): Promise<SlicerClientEmulator> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    const slicer = new SlicerClientEmulator(socket);
    const v2 = options.maxHeaderVersion !== 1;
    slicer.write(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, {
      deviceName: '',
      headerVersion: v2 ? 2 : 1,
      ...(v2 ? { metadata: metadataOf({ dummy: 'dummy' }) } : {}),
    }));
    return slicer;
  }

  /** Sends a TRANSFORM named as HeadertoIGTL names it (L2, L4). */
  sendTransform(name: string, matrix: Matrix4): void {
    const long = Buffer.byteLength(name) > 20;
    this.write(createMessage('TRANSFORM', { matrix }, {
      deviceName: long ? Buffer.from(name).subarray(0, 20).toString() : name,
      headerVersion: long ? 2 : 1,
      timestamp: Timestamp.now(),
      ...(long ? { metadata: metadataOf({ IGTL_DEVICE_NAME: name }) } : {}),
    }));
  }

  /** Sends a COMMAND with the next id (from 1) and `Status` metadata (L4); returns the id. */
  sendCommand(name: string, xml = `<Command Name="${name}" />`): number {
    const id = ++this.commandId;
    this.write(createMessage('COMMAND', { commandId: id, commandName: name, encoding: 3, command: xml }, {
      deviceName: 'command', headerVersion: 2, metadata: metadataOf({ Status: 'FAIL' }),
    }));
    return id;
  }

  /** Resolves with the first received message `pick` accepts (already received ones count). */
  async waitFor(pick: (r: SlicerReceived) => boolean, timeoutMs = 3000): Promise<SlicerReceived> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find(pick);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('the Slicer emulator did not receive the message in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  write(msg: IgtlMessage): void {
    this.socket.write(encodeMessage(msg));
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * 3D Slicer as the server (OpenIGTLinkIF in server mode, L5): it sends the L1 announcement once
 * the client's first message has arrived (the busy-Slicer order, which makes the test
 * deterministic) and answers nothing.
 */
export class SlicerServerEmulator {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** Messages received, all clients. */
  readonly received: IgtlMessage[] = [];
  announcements = 0;

  private constructor() {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let announced = false;
      const decoder = new MessageDecoder({
        message: (msg) => {
          this.received.push(msg);
          if (announced) return;
          announced = true;
          this.announcements++;
          socket.write(encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, {
            deviceName: '', headerVersion: 2, metadata: metadataOf({ dummy: 'dummy' }),
          })));
        },
        error: () => undefined,
      });
      socket.on('data', (chunk) => decoder.push(chunk));
    });
  }

  static async start(): Promise<SlicerServerEmulator> {
    const s = new SlicerServerEmulator();
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
