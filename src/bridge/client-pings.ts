// WebSocket pings (RFC 6455, 5.5.2) to a bridge client that has gone silent, and the verdict
// when it does not answer. Browsers and `ws` answer a ping by themselves (a page's script takes
// no part, so a background tab still answers), which makes this the one test of life that every
// client passes, whether or not it takes part in the OpenIGTLink heartbeat. A page whose main
// thread is busy with much unread data behind the ping may not answer (Chromium's flow control
// stops reading the socket; measured with ~700 KB unread): it is cut only after 2 x idleMs.
//
// TCP keep-alive alone was not enough: it probes only while nothing waits to be acknowledged.
// Measured in a network namespace: a plain WebSocket client whose packets vanished just after
// the bridge wrote it a notice was still held after 30 s (2 runs in 3), since the kernel then
// retransmits that notice for about 15 minutes before it gives up; keep-alive found it in ~20 s
// only when the client's ACK had got through first.
import type { WebSocket } from 'ws';
import { monotonicNow } from '../protocol/clock.js';

/** How often a client's silence is looked at, ms, at most (a quarter of `idleMs` when smaller). */
const CHECK_EVERY_MS = 1000;

/**
 * Pings `ws` once it has sent nothing (no frame, no pong) for `idleMs`; when it still has sent
 * nothing `idleMs` after the ping, calls `onGone` (once). A paused socket (the bridge not
 * reading it) counts as heard from: its pong could not be read. Returns the stop function; it
 * also stops when the socket closes. `idleMs` 0 = off.
 */
export function watchClientPings(ws: WebSocket, idleMs: number, onGone: (silentMs: number) => void): () => void {
  if (!(idleMs > 0)) return () => {};
  let heard = monotonicNow();
  let pinged = false;
  const alive = () => {
    heard = monotonicNow();
    pinged = false;
  };
  const check = () => {
    // A socket that is closing has left: ws ends its closing handshake (or terminates it) itself,
    // and a verdict now would report a client gone that was already let go.
    if (ws.readyState !== ws.OPEN) {
      stop();
      return;
    }
    const now = monotonicNow();
    if (ws.isPaused) heard = now;
    const silent = now - heard;
    if (pinged && silent >= 2 * idleMs) {
      stop();
      onGone(silent);
    } else if (!pinged && silent >= idleMs) {
      pinged = true;
      ws.ping();
    }
  };
  const timer = setInterval(check, Math.min(CHECK_EVERY_MS, Math.max(1, idleMs / 4)));
  // The bridge's own clients must not keep a process alive that is otherwise done.
  timer.unref?.();
  ws.on('message', alive);
  ws.on('pong', alive);
  ws.once('close', () => stop());
  function stop(): void {
    clearInterval(timer);
    ws.off('message', alive);
    ws.off('pong', alive);
  }
  return stop;
}
