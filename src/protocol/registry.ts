import type { CodecLookup, ContentCodec } from './codec.js';

/**
 * Type name -> codec. The default registry holds every standard OpenIGTLink type; register
 * codecs for your own types with {@link registerCodec} (and declare their content type by
 * augmenting `IgtlContentMap`, see docs/custom-types.md) or build a separate registry.
 */
export class CodecRegistry implements CodecLookup {
  private readonly codecs = new Map<string, ContentCodec<string, unknown>>();
  /** The last lookup: a stream is mostly one type after another (a tracker's TRANSFORMs), and the names come from the header's cache, the same string each time. */
  private lastType: string | undefined;
  private lastCodec: ContentCodec<string, unknown> | undefined;

  constructor(codecs: Iterable<ContentCodec<string, unknown>> = []) {
    for (const c of codecs) this.register(c);
  }

  /** Adds (or replaces) the codec for `codec.type`. */
  register<T extends string, C>(codec: ContentCodec<T, C>): this {
    this.codecs.set(codec.type, codec);
    this.lastType = undefined;
    this.lastCodec = undefined;
    return this;
  }

  /** The codec for a wire type name, or undefined for an unknown type. */
  get(type: string): ContentCodec<string, unknown> | undefined {
    if (type === this.lastType) return this.lastCodec;
    const codec = this.codecs.get(type);
    this.lastType = type;
    this.lastCodec = codec;
    return codec;
  }

  /** True when `type` has a codec. */
  has(type: string): boolean {
    return this.codecs.has(type);
  }

  /** Every registered type name, in registration order. */
  types(): string[] {
    return [...this.codecs.keys()];
  }

  /** A copy of this registry, to add codecs to without touching the original. */
  clone(): CodecRegistry {
    const copy = new CodecRegistry();
    for (const c of this.codecs.values()) copy.register(c);
    return copy;
  }
}
