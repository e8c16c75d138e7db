import type { CodecLookup, ContentCodec } from './codec.js';

/**
 * Type name -> codec. The default registry holds every standard OpenIGTLink type; register
 * codecs for your own types with {@link registerCodec} (and declare their content type by
 * augmenting `IgtlContentMap`, see docs/custom-types.md) or build a separate registry.
 */
export class CodecRegistry implements CodecLookup {
  private readonly codecs = new Map<string, ContentCodec<string, unknown>>();

  constructor(codecs: Iterable<ContentCodec<string, unknown>> = []) {
    for (const c of codecs) this.register(c);
  }

  /** Adds (or replaces) the codec for `codec.type`. */
  register<T extends string, C>(codec: ContentCodec<T, C>): this {
    this.codecs.set(codec.type, codec);
    return this;
  }

  /** The codec for a wire type name, or undefined for an unknown type. */
  get(type: string): ContentCodec<string, unknown> | undefined {
    return this.codecs.get(type);
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
