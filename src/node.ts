/**
 * igtl-rx for Node: everything in the isomorphic entry, plus TCP, TLS and UDP transports and
 * the server. (Browser code imports `igtl-rx` and uses the WebSocket transport instead.)
 *
 * @module igtl-rx/node
 */
export * from './index.js';
export { tcpChannel, connectTcp, type TcpOptions } from './transport/tcp.js';
export { allocateUninitialized } from './transport/socket-channel.js';
export { UNVERIFIED_TLS_WARNING, tlsChannel, connectTls, type TlsOptions } from './transport/tls.js';
export { MAX_DATAGRAM_SIZE, udpChannel, connectUdp, type UdpOptions } from './transport/udp.js';
export { IgtlServer, createServer, type BroadcastResult, type ServerOptions, type IgtlSession } from './transport/server.js';
export {
  createSimulator, Simulator, SIMULATED_STREAMS, SIMULATOR_COMMANDS, MAX_TRACKING_RATE_HZ,
  MAX_IMAGE_RATE_HZ, createTrajectory, DEFAULT_TOOLS, createImageSource, ticks, type SimulatorOptions,
  type SimulatorEvent, type SimulatedStream, type ToolSpec, type Pose, type Trajectory,
  type ImageSource, type ImageSourceOptions, type TickOptions, lostSince, OUT_OF_VIEW_STATUS,
  type OutOfView, type LostToolPolicy,
} from './simulator/index.js';
export {
  record, replay, replayRecording, readRecording, recordingInfo, indexPathOf, RecordingFormatError, RecordingCutShortError,
  readSequence, replaySequence, openSequence, sequenceFormatOf, SequenceWriter, SequenceWriteError,
  SequenceFormatError, framesOf, writeSequence, type RecordedMessage, type RecordOptions,
  type ReplayOptions, type RecordingFrame, type RecordingInfo, type ReadRecordingOptions,
  type ReadSequenceOptions, type SequenceMessage, type Sequence, type SequenceFrame,
  type SequenceMessages, type SequenceOptions, type FrameToWrite, type SequenceWriterOptions,
  type FramesOptions, type WriteSequenceOptions, type WriteSequenceResult, type FrameTransform,
  type SequenceLayout, type ImageStream,
} from './recording/index.js';
export {
  DEFAULT_BRIDGE_PORT, DEFAULT_LATEST_TYPES, IgtlBridge, createBridge, BridgeTokenRequiredError,
  parseClientFilter, describeClientFilter, ClientFilterError, type BridgeClientOptions,
  type BridgeOptions, type BridgeClient, type ClientFilter, type AuthFailureLimits,
} from './bridge/index.js';
