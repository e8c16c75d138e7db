// The igtl-rx sending side of the loopback image benchmark: an igtl-rx server on 127.0.0.1
// (port 0 = a free one, printed as {"listening":port}) that sends <count> 512x512x100 uint16
// IMAGEs to the first client (encode + CRC per image, each sent once the previous one has been
// handed to the socket), then closes.
//
// Usage: node bench/js/tcp-send.mjs <port> image <count>
import { igtl, emit, now } from './common.mjs';
import { createServer } from '../../dist/src/node.js';

const [portArg, mode, countArg] = process.argv.slice(2);
const count = Number(countArg);
if (mode !== 'image') {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
const pixels = new Uint16Array(512 * 512 * 100);
for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) & 0xffff;
const content = igtl.createImageContent({ data: pixels, size: [512, 512, 100], spacing: [0.5, 0.5, 1] });
const server = createServer({ port: Number(portArg), queue: { maxBytes: 1 << 30 }, housekeeping: false });
const address = await server.listen();
emit({ listening: address.port });
server.sessions$.subscribe(async (session) => {
  const t0 = now();
  let sent = 0;
  for (let i = 0; i < count; i++) {
    pixels[0] = i; // a new frame each time
    const msg = igtl.createMessage('IMAGE', content, { deviceName: 'Volume', timestamp: igtl.Timestamp.ZERO });
    const r = await session.send(msg, { policy: 'lossless' });
    if (r === 'written') sent++;
  }
  // Wait until the client has read everything and closes.
  await new Promise((resolve) => session.subscribe({ error: resolve, complete: resolve }));
  emit({ mode, sent, seconds: now() - t0, cpuSeconds: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 });
  await server.close();
  process.exit(0);
});
