// The soak: simulator -> clients -> operators at 1 kHz for N minutes with periodic forced
// disconnects, watching for lost messages and growing memory. `npm run soak -- --minutes N`
// runs it at length; test/soak/soak.test.ts runs a 2-minute version in `npm test`.
import { filter, type Subscription } from 'rxjs';
import {
  IDENTITY,
  Timestamp,
  connectTcp,
  createMessage,
  createSimulator,
  type IgtlConnection,
  type IgtlMessage,
} from '../../src/node.js';
import { ofDevice, ofType, throttleTracking } from '../../operators/index.js';

export interface SoakOptions {
  readonly durationMs: number;
  /** Tracking rate of the simulator and of the lossless sender, Hz (default 1000). */
  readonly rateHz?: number;
  /** A forced disconnect of each client every this many ms (default 20 000). */
  readonly disconnectEveryMs?: number;
  /** Memory sample period, ms (default 10 000). */
  readonly sampleEveryMs?: number;
  readonly log?: (line: string) => void;
}

export interface MemorySample {
  readonly atMs: number;
  readonly heapUsedMb: number;
  readonly rssMb: number;
}

export interface SoakReport {
  readonly durationMs: number;
  /** The receiving client (simulator streams at `rateHz`, `latest` policy, UI pipeline at 60 Hz). */
  readonly receiver: { readonly received: number; readonly transformsPerSecond: number; readonly uiUpdates: number; readonly reconnects: number; readonly lostByPolicy: number };
  /** The sending client (numbered TRANSFORMs at `rateHz`, `lossless` policy). */
  readonly sender: { readonly sent: number; readonly written: number; readonly receivedByServer: number; readonly missing: number; readonly duplicates: number; readonly failedSends: number; readonly reconnects: number };
  readonly memory: { readonly samples: readonly MemorySample[]; readonly heapGrowthMb: number; readonly rssGrowthMb: number };
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

function memory(startedAt: number): MemorySample {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { atMs: Date.now() - startedAt, heapUsedMb: mb(m.heapUsed), rssMb: mb(m.rss) };
}

/** Runs the soak and returns what it saw. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const rateHz = options.rateHz ?? 1000;
  const disconnectEvery = options.disconnectEveryMs ?? 20_000;
  const log = options.log ?? (() => {});
  const sim = createSimulator({ port: 0, trackingRateHz: rateHz, imageRateHz: 10, imageSize: [128, 128], streams: ['TRANSFORM', 'STATUS', 'IMAGE'] });
  const { port } = await sim.start();
  const subs: Subscription[] = [];
  const startedAt = Date.now();

  // Receiver: everything the simulator streams, plus a UI-style pipeline throttled to 60 Hz.
  const receiver = connectTcp({ port, reconnect: { initialDelayMs: 50, maxDelayMs: 500 } });
  let received = 0;
  let transforms = 0;
  let uiUpdates = 0;
  let receiverReconnects = 0;
  subs.push(receiver.subscribe((m) => {
    received++;
    if (m.type === 'TRANSFORM') transforms++;
  }));
  subs.push(receiver.pipe(ofType('TRANSFORM'), ofDevice('Stylus'), throttleTracking(60)).subscribe(() => uiUpdates++));
  subs.push(receiver.state$.pipe(filter((s) => s.kind === 'reconnecting')).subscribe(() => receiverReconnects++));

  // Sender: numbered TRANSFORMs, lossless; the server must get every one that was written.
  const sender: IgtlConnection = connectTcp({ port, reconnect: { initialDelayMs: 50, maxDelayMs: 500 }, queue: { maxMessages: 1_000_000, maxBytes: 256 * 1048576 } });
  subs.push(sender.connect());
  let senderReconnects = 0;
  subs.push(sender.state$.pipe(filter((s) => s.kind === 'reconnecting')).subscribe(() => senderReconnects++));
  const seen = new Uint8Array(Math.ceil((options.durationMs / 1000 + 10) * rateHz) + 16);
  let receivedByServer = 0;
  let duplicates = 0;
  const senderSessions = new WeakSet<object>();
  subs.push(sim.server.messages$.pipe(filter(({ message }) => message.type === 'TRANSFORM' && message.deviceName === 'Soak')).subscribe(({ session, message }) => {
    senderSessions.add(session);
    const n = (message as IgtlMessage & { type: 'TRANSFORM' }).content.matrix[3]!;
    if (seen[n]) duplicates++;
    else {
      seen[n] = 1;
      receivedByServer++;
    }
  }));
  let sent = 0;
  let written = 0;
  let failedSends = 0;
  const pending: Promise<unknown>[] = [];
  const sendTick = setInterval(() => {
    // A tick sends what is due, so timer jitter does not lower the rate.
    const due = Math.floor(((Date.now() - startedAt) * rateHz) / 1000);
    while (sent < due) {
      sent++;
      const n = sent;
      const p = sender.send(createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName: 'Soak', timestamp: Timestamp.now() }));
      pending.push(p.then((r) => (r === 'written' ? written++ : undefined), () => failedSends++));
      if (pending.length > 10_000) pending.splice(0, 5_000);
    }
  }, 5);

  // Forced disconnects: the receiver is kicked by the server, the sender drops its own link.
  let lostByPolicy = 0;
  const countLosses = (s: { queueStatus: { replaced: number; dropped: number } }) => (lostByPolicy += s.queueStatus.replaced + s.queueStatus.dropped);
  const kick = setInterval(() => {
    for (const s of [...sim.server.sessions]) {
      if (senderSessions.has(s)) continue;
      countLosses(s);
      s.close();
    }
    setTimeout(() => sender.reconnect(), disconnectEvery / 2);
  }, disconnectEvery);

  const samples: MemorySample[] = [memory(startedAt)];
  const sampler = setInterval(() => {
    const s = memory(startedAt);
    samples.push(s);
    log(`soak: ${Math.round(s.atMs / 1000)} s  received ${received}  sent ${sent}  server got ${receivedByServer}  reconnects ${receiverReconnects}/${senderReconnects}  heap ${s.heapUsedMb} MB  rss ${s.rssMb} MB`);
  }, options.sampleEveryMs ?? 10_000);

  await new Promise((r) => setTimeout(r, options.durationMs));
  clearInterval(sendTick);
  clearInterval(kick);
  clearInterval(sampler);
  // Let the last sends arrive.
  await Promise.allSettled(pending);
  for (let i = 0; i < 100 && receivedByServer < written; i++) await new Promise((r) => setTimeout(r, 20));
  samples.push(memory(startedAt));

  for (const s of sim.server.sessions) if (!senderSessions.has(s)) countLosses(s);
  let missing = 0;
  for (let n = 1; n <= sent; n++) if (!seen[n]) missing++;
  for (const s of subs) s.unsubscribe();
  receiver.close();
  sender.close();
  await sim.stop();

  // Growth between the first third and the end: the start includes warm-up allocations.
  const warm = samples[Math.min(samples.length - 1, Math.max(1, Math.floor(samples.length / 3)))]!;
  const last = samples[samples.length - 1]!;
  return {
    durationMs: options.durationMs,
    receiver: { received, transformsPerSecond: Math.round(transforms / (options.durationMs / 1000)), uiUpdates, reconnects: receiverReconnects, lostByPolicy },
    sender: { sent, written, receivedByServer, missing, duplicates, failedSends, reconnects: senderReconnects },
    memory: { samples, heapGrowthMb: Math.round((last.heapUsedMb - warm.heapUsedMb) * 10) / 10, rssGrowthMb: Math.round((last.rssMb - warm.rssMb) * 10) / 10 },
  };
}
