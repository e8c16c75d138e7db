// How the page says how old a stale thing is. When something is stale (a device row, a tool's
// triad, an image) is the library's rule: watchFreshness (igtl-rx/operators), with the page's
// `deviceStale=` threshold. A tool that leaves the camera's view, or a probe that stops sending
// images, while the connection stays live must not look live: the header's state is about the
// connection, watchFreshness about each thing drawn.

/** "3.2 s" for a silence in ms (labels of stale things). */
export function silence(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
