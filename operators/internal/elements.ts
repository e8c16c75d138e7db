// The three message types that carry a list of named items: TDATA and QTDATA (tools), POINT (points).
import {
  fullDeviceName,
  wireType,
  type IgtlMessage,
  type PointElement,
  type PointMessage,
  type QuaternionTrackingDataMessage,
  type QuaternionTrackingElement,
  type TrackingDataMessage,
  type TrackingElement,
} from '../../src/index.js';

/** A message with a list of named elements: TDATA, QTDATA or POINT. */
export type ElementMessage = TrackingDataMessage | QuaternionTrackingDataMessage | PointMessage;

/** One element of an {@link ElementMessage}. */
export type AnyElement = TrackingElement | QuaternionTrackingElement | PointElement;

/** True for TDATA, QTDATA and POINT. */
export function isElementMessage(msg: IgtlMessage): msg is ElementMessage {
  return msg.type === 'TDATA' || msg.type === 'QTDATA' || msg.type === 'POINT';
}

/** {@link isElementMessage} for a generic message type: narrows `T` to its TDATA/QTDATA/POINT part. */
export function isElementMessageOf<T extends IgtlMessage>(msg: T): msg is Extract<T, ElementMessage> {
  return isElementMessage(msg);
}

/** The element list of a TDATA/QTDATA (`elements`) or POINT (`points`) message. */
export function elementsOf(msg: ElementMessage): readonly AnyElement[] {
  return msg.type === 'POINT' ? msg.content.points : msg.content.elements;
}

/**
 * The message with only the elements for which `keep` is true (the same object when all are
 * kept). Header fields, timestamp and metadata are unchanged.
 */
export function filterElements<M extends ElementMessage>(msg: M, keep: (element: AnyElement, index: number) => boolean): M {
  // Each branch rebuilds the message with its own element type; the spread keeps every other field.
  switch (msg.type) {
    case 'TDATA': {
      const elements = msg.content.elements.filter(keep);
      return elements.length === msg.content.elements.length ? msg : { ...msg, content: { ...msg.content, elements } };
    }
    case 'QTDATA': {
      const elements = msg.content.elements.filter(keep);
      return elements.length === msg.content.elements.length ? msg : { ...msg, content: { ...msg.content, elements } };
    }
    default: {
      const points = msg.content.points.filter(keep);
      return points.length === msg.content.points.length ? msg : { ...msg, content: { ...msg.content, points } };
    }
  }
}

/** One message per element, each with a one-element list; header fields unchanged. */
export function splitMessage<M extends ElementMessage>(msg: M): M[] {
  switch (msg.type) {
    case 'TDATA':
      return msg.content.elements.length === 1 ? [msg] : msg.content.elements.map((e) => ({ ...msg, content: { ...msg.content, elements: [e] } }));
    case 'QTDATA':
      return msg.content.elements.length === 1 ? [msg] : msg.content.elements.map((e) => ({ ...msg, content: { ...msg.content, elements: [e] } }));
    default:
      return msg.content.points.length === 1 ? [msg] : msg.content.points.map((p) => ({ ...msg, content: { ...msg.content, points: [p] } }));
  }
}

/**
 * The default key of the tracking operators (throttleTracking, measureRate): wire type and
 * full device name (`fullDeviceName`: PLUS's `IGTL_DEVICE_NAME` metadata when present), plus the element name for a TDATA/QTDATA/POINT message holding exactly one
 * element (as `splitElements` makes them), so each tool of a split TDATA stream is its own key.
 * The parts are joined with NUL; a name that itself holds a NUL is quoted (see `keyPart`), so
 * two different tools never share a key.
 */
export function trackingKey(msg: IgtlMessage): string {
  const base = deviceKey(msg);
  if (!isElementMessage(msg)) return base;
  const elements = elementsOf(msg);
  return elements.length === 1 ? `${base}\u0000${keyPart(elements[0]!.name)}` : base;
}

/** The part of {@link trackingKey} that names the device stream: wire type + device name. */
export function deviceKey(msg: IgtlMessage): string {
  return `${wireType(msg)}\u0000${keyPart(fullDeviceName(msg))}`;
}

/**
 * A name as one part of a NUL-separated key, such that no two (device, element) pairs give the
 * same key. A name with a NUL in it (possible in `IGTL_DEVICE_NAME` metadata, which is not a
 * NUL-terminated field) would otherwise pose as another tool: device `T\0A` with two elements
 * had the key of element `A` of device `T`, and kept that tool live in `watchFreshness` after it
 * stopped. Such a name (and one starting with U+0001, the mark) becomes U+0001 + its JSON, which
 * has no NUL; every other name, that is every real one, is kept as it is.
 */
function keyPart(name: string): string {
  return name.includes('\u0000') || name.charCodeAt(0) === 1 ? `\u0001${JSON.stringify(name)}` : name;
}
