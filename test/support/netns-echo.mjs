// Plain-socket echo server / client for test/faults/netns-harness.test.ts (and as an example of a
// netns child script). Line protocol on TCP: the client sends "ping N\n", the server echoes the line.
//   node netns-echo.mjs server <host> <port> <keepAliveMs>
//     commands: say TEXT (one line to every connection)
//     events: listening {port}, accepted {remote}, line {text}, said {text}, error {code}, close
//   node netns-echo.mjs client <host> <port> <localAddress> <keepAliveMs>
//     commands: connect | ping N | destroy
//     events: connected {conn, localPort}, echo {conn, n}, error {conn, code}, close {conn}, wrote {conn, n, ok}
// keepAliveMs 0 means no keepalive. Both exit when stdin closes, and after 60 s in any case.
import net from 'node:net';
import readline from 'node:readline';
import { emit, onCommand, exitAfter } from './netns-child.mjs';

exitAfter(60_000);
const [role, host, portArg] = process.argv.slice(2);
const port = Number(portArg);

function watch(socket, conn, side) {
  const rl = readline.createInterface({ input: socket });
  rl.on('error', () => {}); // the socket's own 'error' listener below reports it
  rl.on('line', (text) => {
    if (side === 'server') {
      emit('line', { text });
      socket.write(text + '\n');
    } else {
      const m = /^ping (\d+)$/.exec(text);
      emit('echo', { conn, n: m ? Number(m[1]) : null, text });
    }
  });
  socket.on('error', (err) => emit('error', { conn, code: err.code, message: err.message }));
  socket.on('close', () => emit('close', { conn }));
}

if (role === 'server') {
  const keepAliveMs = Number(process.argv[5] ?? 0);
  let conns = 0;
  const server = net.createServer((socket) => {
    const conn = ++conns;
    if (keepAliveMs > 0) socket.setKeepAlive(true, keepAliveMs);
    emit('accepted', { conn, remote: `${socket.remoteAddress}:${socket.remotePort}` });
    watch(socket, conn, 'server');
  });
  server.on('error', (err) => emit('server-error', { code: err.code, message: err.message }));
  server.listen(port, host, () => emit('listening', { port: server.address().port }));
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // "say TEXT": the server writes TEXT as one line to every open connection.
  onCommand((words, line) => {
    if (words[0] !== 'say') throw new Error(`unknown command ${words[0]}`);
    const text = line.trim().slice(4);
    for (const socket of sockets) socket.write(text + '\n');
    emit('said', { text, connections: sockets.size });
  });
} else if (role === 'client') {
  const localAddress = process.argv[5];
  const keepAliveMs = Number(process.argv[6] ?? 0);
  let socket = null;
  let conns = 0;
  onCommand(([cmd, arg]) => {
    if (cmd === 'connect') {
      const conn = ++conns;
      socket = net.connect({ host, port, localAddress }, () => {
        if (keepAliveMs > 0) socket.setKeepAlive(true, keepAliveMs);
        emit('connected', { conn, localPort: socket.localPort });
      });
      watch(socket, conn, 'client');
    } else if (cmd === 'ping') {
      const ok = socket.write(`ping ${arg}\n`);
      emit('wrote', { conn: conns, n: Number(arg), ok });
    } else if (cmd === 'destroy') {
      socket?.destroy();
    } else {
      throw new Error(`unknown command ${cmd}`);
    }
  });
} else {
  console.error(`usage: netns-echo.mjs server|client ...`);
  process.exit(2);
}
