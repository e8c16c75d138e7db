// The replies a server gives on its own (OpenIGTLink Documents/Protocol/capability.md, status.md): GET_CAPABIL, GET_STATUS (the
// ping PLUS answers) and the v3 handshake COMMAND `Version`.
import { createMessage } from '../protocol/message.js';
import { escapeXmlAttribute } from '../protocol/messages/command.js';
import { Timestamp } from '../protocol/timestamp.js';
import type { HeaderVersion, IgtlMessage } from '../protocol/types.js';

/** What a server answers by itself. */
export interface HousekeepingOptions {
  /** Types listed in the CAPABILITY reply to GET_CAPABIL (default: every type the server can decode). */
  readonly capabilities?: readonly string[];
  /** Answer GET_CAPABIL (default true). */
  readonly capability?: boolean;
  /** Answer GET_STATUS with STATUS OK (default true). */
  readonly status?: boolean;
  /** Answer the COMMAND `Version` with the protocol and header version (default true). */
  readonly version?: boolean;
  /** Text of the `Message` in replies (default "igtl-rx"). */
  readonly serverName?: string;
}

/**
 * The automatic reply to `msg`, or undefined if it needs none. Replies keep the request's device
 * name and, in v3 framing, echo its message ID so clients can correlate them.
 */
export function housekeepingReply(msg: IgtlMessage, serverMaxHeaderVersion: HeaderVersion, defaultCapabilities: readonly string[], options: HousekeepingOptions = {}): IgtlMessage | undefined {
  const echo = { deviceName: msg.deviceName, timestamp: Timestamp.now(), messageId: msg.headerVersion === 2 ? msg.messageId : 0, headerVersion: msg.headerVersion };
  switch (msg.type) {
    case 'GET_CAPABIL': {
      if (options.capability === false) return undefined;
      return createMessage('CAPABILITY', { types: options.capabilities ?? defaultCapabilities }, echo);
    }
    case 'GET_STATUS':
      if (options.status === false) return undefined;
      return createMessage('STATUS', { code: 1, subcode: 0n, errorName: 'OK', statusMessage: '' }, echo);
    case 'COMMAND': {
      if (options.version === false || msg.content.commandName !== 'Version') return undefined;
      const name = options.serverName ?? 'igtl-rx';
      return createMessage(
        'RTS_COMMAND',
        {
          commandId: msg.content.commandId,
          commandName: 'Version',
          encoding: 3,
          // The versions are in the XML too: a v1 client gets this reply in legacy framing,
          // where the metadata cannot travel.
          command: `<CommandReply Name="Version" Status="SUCCESS" Message="${escapeXmlAttribute(name)}" IGTLProtocolVersion="${serverMaxHeaderVersion === 2 ? 3 : 2}" IGTLHeaderVersion="${serverMaxHeaderVersion}" />`,
        },
        {
          ...echo,
          headerVersion: 2,
          messageId: msg.headerVersion === 2 ? msg.messageId : 0,
          metadata: {
            Status: 'SUCCESS',
            Message: name,
            IGTLProtocolVersion: serverMaxHeaderVersion === 2 ? '3' : '2',
            IGTLHeaderVersion: String(serverMaxHeaderVersion),
          },
        },
      );
    }
    default:
      return undefined;
  }
}
