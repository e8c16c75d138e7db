// `igtl-rx bridge`: relays one OpenIGTLink TCP peer to WebSocket clients (browsers), both ways.
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import createDebug from 'debug';
import { firstValueFrom } from 'rxjs';
import { DEFAULT_BRIDGE_PORT, createBridge, type IgtlBridge } from '../bridge/bridge.js';
import { MAX_BODY_SIZE_LIMIT } from '../protocol/constants.js';
import { InvalidOptionError } from '../protocol/errors.js';
import { ANNOUNCE_V3_OPTION, announceV3Help, IDLE_TIMEOUT_OPTION, idleTimeoutHelp, parseEndpoint, parseIdleTimeout, parseNumber, stopWhen } from './net-helper.js';
import { CliError, parseOptions, stdoutIsALog } from './output.js';

/** What `parseOptions` gives for the options below (it types every value loosely). */
type BridgeValues = { igtl: string; host: string; help: boolean; quiet: boolean; 'allow-client-sends': boolean; 'read-only': boolean; 'announce-v3': boolean; 'allow-weak-token': boolean }
  & Partial<Record<'port' | 'path' | 'token' | 'client-send-rate' | 'static' | 'max-message-size' | 'max-clients' | 'max-pending-connections' | 'duration' | 'idle-timeout' | 'wrong-tokens' | 'wrong-token-refill-ms', string>>
  & Partial<Record<'origin' | 'allowed-host' | 'allow' | 'client-send-type' | 'trust-proxy', string[]>>;

export const usage = `usage: igtl-rx bridge [--igtl HOST:PORT] [--host HOST] [--port PORT] [--path PATH]
                      [--token TOKEN [--allow-weak-token] [--wrong-tokens N] [--wrong-token-refill-ms MS]
                      [--trust-proxy ADDRESS|CIDR]...] [--origin ORIGIN]... [--allowed-host NAME]...
                      [--allow ADDRESS|CIDR]... [--static DIR]
                      [--allow-client-sends [--client-send-type TYPE]... [--client-send-rate N]]
                      [--max-message-size BYTES] [--max-clients N] [--max-pending-connections N]
                      [--duration S] [--quiet]
                      [--announce-v3] [--idle-timeout MS]

Relays one OpenIGTLink TCP peer (3D Slicer, PLUS, igtl-rx simulate) to any number of WebSocket
clients (browser pages using connectWebSocket); clients are read-only unless --allow-client-sends,
and every client is told the peer's state (JSON text frames). The peer link reconnects
with backoff and is never slowed by a client: each client has its own queue, in which tracking
types (TRANSFORM, POSITION, TDATA, QTDATA, SENSOR, IMAGE, VIDEO) keep only the newest message
per device while the client is behind. A client may ask the bridge to filter and throttle for
it in its URL: ws://HOST:PORT/?type=TRANSFORM,STATUS&device=Stylus*&rate=30 (rate in Hz).

  --igtl HOST:PORT        the OpenIGTLink peer (default 127.0.0.1:18944)
  --host HOST             address to bind (default 127.0.0.1; 0.0.0.0 for other machines:
                          then a token is required)
  --port PORT             WebSocket/HTTP port (default ${DEFAULT_BRIDGE_PORT}; 0 picks a free one)
  --path PATH             accept WebSockets on this URL path only (default: any path)
  --token TOKEN           clients must present it: as the subprotocol token.TOKEN beside
                          igtl-rx (pages: connectWebSocket's token option; the workbench:
                          #token=TOKEN), Authorization: Bearer TOKEN, or ?token=TOKEN
                          (better: set IGTL_RX_BRIDGE_TOKEN, which other users cannot see in ps);
                          at least 16 characters (openssl rand -hex 16); an address that
                          presents 10 wrong tokens must then wait 6 s per try (429)
  --allow-weak-token      accept a token shorter than 16 characters (tests only)
  --wrong-tokens N        wrong tokens an address may present before it must wait (default 10)
  --wrong-token-refill-ms MS
                          then one more try every MS (default 6000)
  --trust-proxy ADDR|CIDR a reverse proxy in front of the bridge (repeatable): on its requests
                          the wrong-token limit counts the client X-Forwarded-For names, not the
                          proxy (default: the header is never read)
  --origin ORIGIN         allow pages from this origin (repeatable; "*" = any). Default: pages
                          the bridge serves itself and loopback origins (http://localhost:5173)
  --allowed-host NAME     a host name (or NAME:PORT) clients may use to reach the bridge,
                          besides loopback and the addresses it listens on (repeatable; "*" =
                          any). Other Host headers are refused (421): DNS rebinding
  --allow ADDR|CIDR       client addresses allowed, e.g. 10.1.2.0/24 (repeatable; default any)
  --static DIR            serve the files in DIR over HTTP (default: the workbench page that
                          ships in the package; "none" serves no page)
  --allow-client-sends    clients may send to the peer (default: read-only; refused messages
                          are answered with a "refused" text frame and logged)
  --client-send-type T    with --allow-client-sends: only these types (repeatable or a,b)
  --client-send-rate N    with --allow-client-sends: at most N messages/s per client
  --read-only             clients receive only (the default; refused with --allow-client-sends)
  --max-message-size B    largest message relayed either way (default 16777216)
  --max-clients N         most clients at once (default 32)
  --max-pending-connections N
                          most HTTP connections that are not WebSocket clients (page requests,
                          upgrades under way, idle sockets; default 2 x max-clients, at least
                          64); a new one beyond it cuts the oldest
  --duration S            stop after S seconds (default: run until Ctrl-C)
  --quiet                 print only the "listening" line (log lines: DEBUG=igtl-rx:bridge)
${announceV3Help(26)}
${idleTimeoutHelp(26, ['as a lost peer: the link reconnects (clients are told)'])}

Output: "listening on ws://HOST:PORT/ (peer HOST:PORT)" once the bridge is up, then log lines
on stderr (peer connected or lost, clients connected, refused, too slow, left).`;

export async function run(argv: string[]): Promise<number> {
  // parseOptions, as every verb: an unknown option or a missing value is a usage error (exit 2).
  const { values: v, positionals } = parseOptions(argv, usage, {
    igtl: { type: 'string', default: '127.0.0.1:18944' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    path: { type: 'string' },
    token: { type: 'string' },
    'allow-weak-token': { type: 'boolean', default: false },
    'wrong-tokens': { type: 'string' },
    'wrong-token-refill-ms': { type: 'string' },
    'trust-proxy': { type: 'string', multiple: true },
    origin: { type: 'string', multiple: true },
    'allowed-host': { type: 'string', multiple: true },
    allow: { type: 'string', multiple: true },
    'allow-client-sends': { type: 'boolean', default: false },
    'client-send-type': { type: 'string', multiple: true },
    'client-send-rate': { type: 'string' },
    static: { type: 'string' },
    'read-only': { type: 'boolean', default: false },
    'max-message-size': { type: 'string' },
    'max-clients': { type: 'string' },
    'max-pending-connections': { type: 'string' },
    duration: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    ...ANNOUNCE_V3_OPTION,
    ...IDLE_TIMEOUT_OPTION,
  });
  const values = v as BridgeValues;
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`bridge takes no positional arguments\n${usage}`, 2);
  const peer = parseEndpoint(values.igtl, '--igtl');
  const port = parseNumber('--port', values.port, { min: 0, max: 65535, integer: true }) ?? DEFAULT_BRIDGE_PORT;
  const maxMessageSize = parseNumber('--max-message-size', values['max-message-size'], { min: 58, max: MAX_BODY_SIZE_LIMIT, integer: true });
  const maxClients = parseNumber('--max-clients', values['max-clients'], { min: 1, integer: true });
  const maxPendingConnections = parseNumber('--max-pending-connections', values['max-pending-connections'], { min: 1, integer: true });
  const duration = parseNumber('--duration', values.duration, { above: 0 });
  const idleTimeoutMs = parseIdleTimeout(values['idle-timeout']);
  const wrongTokens = parseNumber('--wrong-tokens', values['wrong-tokens'], { min: 1, integer: true });
  const wrongTokenRefillMs = parseNumber('--wrong-token-refill-ms', values['wrong-token-refill-ms'], { above: 0 });
  const authFailureLimits = { ...(wrongTokens === undefined ? {} : { burst: wrongTokens }), ...(wrongTokenRefillMs === undefined ? {} : { refillMs: wrongTokenRefillMs }) };
  if (values.path !== undefined && !values.path.startsWith('/')) throw new CliError('--path must start with "/"', 2);
  const token = values.token ?? process.env.IGTL_RX_BRIDGE_TOKEN;
  if (token === '') throw new CliError('the token is empty', 2);
  const sends = values['allow-client-sends'];
  if (sends && values['read-only']) throw new CliError('--read-only and --allow-client-sends contradict each other', 2);
  const sendTypes = values['client-send-type']?.flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t.length > 0);
  const sendRate = parseNumber('--client-send-rate', values['client-send-rate'], { above: 0 });
  if (!sends && (sendTypes !== undefined || sendRate !== undefined)) throw new CliError('--client-send-type and --client-send-rate need --allow-client-sends', 2);

  if (!values.quiet) createDebug.enable([process.env.DEBUG, 'igtl-rx:bridge'].filter(Boolean).join(','));
  const staticDir = values.static === 'none' ? undefined : (values.static ?? defaultStaticDir());
  // Else it would say "open http://... in a browser" and answer every request with 404.
  if (values.static !== undefined && values.static !== 'none' && !isDirectory(values.static)) throw new CliError(`--static ${values.static}: not a directory`, 2);
  let bridge: IgtlBridge;
  try {
    bridge = createBridge({
      upstream: { host: peer.host, port: peer.port, reconnect: { maxAttempts: Infinity }, ...(values['announce-v3'] ? { announceV3: true } : {}), ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }) },
      host: values.host,
      port,
      clientSends: sends,
      ...(sendTypes === undefined ? {} : { clientSendTypes: sendTypes }),
      ...(sendRate === undefined ? {} : { clientSendRate: sendRate }),
      ...(values['allowed-host'] === undefined ? {} : { allowedHosts: values['allowed-host'] }),
      ...(values.allow === undefined ? {} : { allow: values.allow.flatMap((a) => a.split(',')).map((a) => a.trim()) }),
      ...(values.path === undefined ? {} : { path: values.path }),
      ...(token === undefined ? {} : { token }),
      ...(values['allow-weak-token'] ? { allowWeakToken: true } : {}),
      ...(Object.keys(authFailureLimits).length === 0 ? {} : { authFailureLimits }),
      ...(values['trust-proxy'] === undefined ? {} : { trustProxy: values['trust-proxy'].flatMap((a) => a.split(',')).map((a) => a.trim()) }),
      ...(values.origin === undefined ? {} : { origins: values.origin }),
      ...(staticDir === undefined ? {} : { staticDir }),
      ...(maxMessageSize === undefined ? {} : { maxMessageSize }),
      ...(maxClients === undefined ? {} : { maxClients }),
      ...(maxPendingConnections === undefined ? {} : { maxPendingConnections }),
    });
  } catch (err) {
    // BridgeTokenRequiredError (beyond loopback without a token), a bad --allow entry, ...
    if (err instanceof InvalidOptionError) throw new CliError(err.message, 2);
    throw err;
  }
  try {
    await bridge.listen();
  } catch (err) {
    await bridge.close();
    throw new CliError(`cannot listen on ${values.host}:${port}: ${(err as Error).message}`);
  }
  // stdout is a log here: its reader going must not stop the relay (docs/cli.md, "Conventions").
  stdoutIsALog();
  process.stdout.write(`listening on ${bridge.url} (peer ${peer.host}:${peer.port})\n`);
  if (staticDir !== undefined) process.stdout.write(`workbench: open ${bridge.url.replace(/^ws/, 'http')} in a browser\n`);
  await firstValueFrom(stopWhen(duration));
  await bridge.close();
  return 0;
}

/** The workbench page shipped in the package (dist/web, built by `npm run build`), if there. */
export function defaultStaticDir(): string | undefined {
  const dir = fileURLToPath(new URL('../../web/', import.meta.url));
  return existsSync(`${dir}index.html`) ? dir : undefined;
}

/** Whether `dir` is a directory (false when it is missing or unreadable). */
function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
