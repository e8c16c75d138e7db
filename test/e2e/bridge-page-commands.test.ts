// Commands of several pages through one bridge to a PlusServer: the bridge's clients share its
// one connection to the server, which sees their COMMAND_IDs as one client's; the bridge hands
// each RTS_COMMAND to the page that sent its COMMAND_ID (docs/bridge.md). Each page must get its
// own command's reply, and every command must run.
import { describe, expect, it } from 'vitest';
import { firstValueFrom } from 'rxjs';
import { CommandFailedError, command } from '../../operators/index.js';
import { PlusEmulator } from '../support/plus-emulator.js';
import { bridgeHooks, bridgeOf, openPage } from './bridge-kit.js';

const { defer } = bridgeHooks();

describe('commands of two pages through one bridge to PlusServer', () => {
  it('runs both, and gives each page the reply of its own command', async () => {
    const ran: string[] = [];
    // PlusServer ignores a COMMAND_ID among the last 10 of a client (S6 in test/support/plus-emulator.ts,
    // from PlusLib vtkPlusOpenIGTLinkServer.cxx); the bridge is that one client for both pages.
    const plus = await PlusEmulator.start({
      commands: {
        Start: () => (ran.push('Start'), { status: true, message: 'started' }),
        Stop: () => (ran.push('Stop'), { status: false, message: 'not running', error: 'cannot stop' }),
      },
    });
    defer(() => plus.close());
    const bridge = await bridgeOf(defer, { upstream: { port: plus.port }, clientSends: true });
    const [a, b] = [await openPage(defer, bridge.url), await openPage(defer, bridge.url)];
    const [started, stopped] = await Promise.allSettled([
      firstValueFrom(command(a!, 'Start', undefined, { timeoutMs: 3000 })),
      firstValueFrom(command(b!, 'Stop', undefined, { timeoutMs: 3000 })),
    ]);
    // Both pages numbering from 1: PLUS ran one, and both pages took its reply (Start "failed: cannot stop").
    expect(ran.sort()).toEqual(['Start', 'Stop']);
    expect(started.status === 'fulfilled' && started.value.message).toBe('started');
    expect(stopped.status === 'rejected' && stopped.reason).toBeInstanceOf(CommandFailedError);
    expect(stopped.status === 'rejected' && (stopped.reason as CommandFailedError).result.error).toBe('cannot stop');
  });
});
