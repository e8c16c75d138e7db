// src/app/igtl.service.ts
import {
  Injectable,
  InjectionToken,
  NgZone,
  inject,
  isDevMode,
  makeEnvironmentProviders,
  type EnvironmentProviders,
  type OnDestroy,
} from '@angular/core';
import { combineLatest, distinctUntilChanged, map, scan, share, shareReplay, startWith, type Observable } from 'rxjs';
import {
  connectWebSocket,
  type ConnectionState,
  type IgtlMessage,
  type PeerState,
  type SendResult,
  type StatusMessage,
  type WebSocketConnection,
  type WebSocketUrl,
} from 'igtl-rx';
import { measureRate, ofType, splitElements, throttleTracking, validPoses, watchFreshness } from 'igtl-rx/operators';
import { enterZone, leaveZone } from './zone-operators.js';

/** What `provideIgtl` takes. */
export interface IgtlConfig {
  /** The bridge's WebSocket URL (a string, or a function called at each connection attempt). */
  readonly url: WebSocketUrl;
  /** How often the UI shows a tool's pose, per second (default 30). */
  readonly displayHz?: number;
  /** A tool with no pose for this long is shown as not live, ms (default 1000). */
  readonly staleAfterMs?: number;
}

const IGTL_CONFIG = new InjectionToken<Required<IgtlConfig>>('igtl-rx config', {
  providedIn: 'root',
  factory: () => ({ url: 'ws://127.0.0.1:18945/', displayHz: 30, staleAfterMs: 1000 }),
});

/** Add to the `providers` of app.config.ts. */
export function provideIgtl(config: IgtlConfig): EnvironmentProviders {
  return makeEnvironmentProviders([{ provide: IGTL_CONFIG, useValue: { displayHz: 30, staleAfterMs: 1000, ...config } }]);
}

/**
 * The bridge that serves this page (`igtl-rx bridge --static dist/<app>/browser`): the page's own
 * host, `ws:` or `wss:`, plus `query`. Under `ng serve` (dev mode) the page comes from the dev
 * server, not from the bridge: `devServer` is used instead.
 */
export function bridgeOfPage(query = '', options: { devServer?: string } = {}): () => string {
  return () => {
    if (isDevMode() && options.devServer) return options.devServer.replace(/\/?(\?.*)?$/, `/${query}`);
    return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/${query}`;
  };
}

/** A tool as the UI shows it. */
export interface ToolPose {
  readonly name: string;
  /** Translation, mm. */
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

/** The tool of a TRANSFORM, or of a TDATA split into one tool per message. */
function toolOf(msg: IgtlMessage): string {
  return msg.type === 'TDATA' && msg.content.elements.length === 1 ? msg.content.elements[0]!.name : msg.deviceName;
}

function poseOf(msg: IgtlMessage): ToolPose | undefined {
  const m = msg.type === 'TRANSFORM' ? msg.content.matrix : msg.type === 'TDATA' ? msg.content.elements[0]?.matrix : undefined;
  return m && { name: toolOf(msg), x: m[3]!, y: m[7]!, z: m[11]! };
}

/**
 * The OpenIGTLink connection of the app, shared by every component. The socket runs outside the
 * Angular zone; each stream is throttled first and enters the zone last, so change detection
 * runs at the display rate whatever the tracking rate.
 */
@Injectable({ providedIn: 'root' })
export class IgtlService implements OnDestroy {
  private readonly zone = inject(NgZone);
  private readonly config = inject(IGTL_CONFIG);
  private readonly connection: WebSocketConnection = connectWebSocket(this.config.url, {
    reconnect: { initialDelayMs: 250, maxDelayMs: 5000 },
  });

  /** Every message, received outside the zone (for the pipelines below, not for templates). */
  private readonly messages$: Observable<IgtlMessage> = this.connection.pipe(leaveZone(this.zone), share());

  // validPoses: a pose its sender marks lost is not a pose (PLUS sends a lost tool as the identity,
  // with its status in v3 metadata: run the bridge with --announce-v3).
  private readonly tracking$ = this.messages$.pipe(ofType('TRANSFORM', 'TDATA'), validPoses(), splitElements(), share());

  /** This page's link to the bridge: idle, connecting, open, stale, reconnecting (attempt, delay), closed. */
  readonly state$: Observable<ConnectionState> = this.connection.state$.pipe(
    enterZone(this.zone),
    shareReplay({ bufferSize: 1, refCount: true }),
  );

  /**
   * The bridge's link to the tracker (its OpenIGTLink peer), as the bridge reports it:
   * unknown (this page is not connected to the bridge), connecting, open, stale (silent),
   * reconnecting (attempt, delay, reason), closed (reason).
   */
  readonly peerState$: Observable<PeerState> = this.connection.peerState$.pipe(
    enterZone(this.zone),
    shareReplay({ bufferSize: 1, refCount: true }),
  );

  /**
   * True while the data is current: this page's link to the bridge and the bridge's link to the
   * tracker are both open, not stale. (Behind a relay that is not an igtl-rx bridge, the peer
   * state stays `unknown`: use `state$` alone there.)
   */
  readonly live$: Observable<boolean> = combineLatest([this.connection.state$, this.connection.peerState$]).pipe(
    map(([link, peer]) => link.kind === 'open' && peer.kind === 'open'),
    distinctUntilChanged(),
    enterZone(this.zone),
    shareReplay({ bufferSize: 1, refCount: true }),
  );

  /** The newest pose of every tool, at most `displayHz` times per second per tool. */
  readonly tools$: Observable<readonly ToolPose[]> = this.tracking$.pipe(
    throttleTracking(this.config.displayHz, { key: toolOf }),
    scan((tools, msg) => {
      const pose = poseOf(msg);
      return pose ? new Map(tools).set(pose.name, pose) : tools;
    }, new Map<string, ToolPose>()),
    map((tools) => [...tools.values()]),
    enterZone(this.zone),
    shareReplay({ bufferSize: 1, refCount: true }),
  );

  /**
   * The tools with no pose for `staleAfterMs` (out of the camera's view, say) while the
   * connection goes on: their last pose is not where they are. By the poses' own timestamps
   * (byTimestamp): after the page's main thread was blocked for seconds, the poses buffered
   * meanwhile arrive in a burst, old, and must not make a tool look live.
   */
  readonly staleTools$: Observable<ReadonlySet<string>> = this.tracking$.pipe(
    watchFreshness({ staleAfterMs: this.config.staleAfterMs, key: toolOf, byTimestamp: true }),
    scan((stale, change) => {
      const next = new Set(stale);
      if (change.stale) next.add(change.key);
      else next.delete(change.key);
      return next;
    }, new Set<string>()),
    startWith(new Set<string>()),
    enterZone(this.zone),
    shareReplay({ bufferSize: 1, refCount: true }),
  );

  /** Messages per second of every tool (measured on the full stream), twice a second. */
  readonly rates$: Observable<ReadonlyMap<string, number>> = this.tracking$.pipe(
    measureRate({ intervalMs: 500, key: toolOf }),
    map(({ rates }) => new Map([...rates].map(([tool, r]) => [tool, r.hz]))),
    enterZone(this.zone),
    shareReplay({ bufferSize: 1, refCount: true }),
  );

  /** The last ten STATUS messages, newest first. */
  readonly status$: Observable<readonly StatusMessage[]> = this.messages$.pipe(
    ofType('STATUS'),
    scan((list: readonly StatusMessage[], msg) => [msg, ...list].slice(0, 10), []),
    enterZone(this.zone),
    shareReplay({ bufferSize: 1, refCount: true }),
  );

  /** Sends a message to the peer (through the bridge); waits while disconnected. */
  send(msg: IgtlMessage): Promise<SendResult> {
    return this.zone.runOutsideAngular(() => this.connection.send(msg));
  }

  /** The root injector is destroyed with the app: close the socket and end every stream. */
  ngOnDestroy(): void {
    this.connection.close();
  }
}
