/**
 * --forward's value → where to connect: "HOST:PORT", "[IPv6]:PORT" or "unix:PATH".
 * Apart from the sink so that checking flags does not load the forward client.
 */

export class ForwardTargetError extends Error {
  override name = 'ForwardTargetError'
}

/** Parses a --forward value; throws ForwardTargetError naming the problem. */
export function parseForwardTarget (target: string): { path: string } | { host: string, port: number } {
  if (target.startsWith('unix:')) {
    const path = target.slice(5)
    if (path === '') throw new ForwardTargetError(`'${target}': unix: needs a socket path`)
    return { path }
  }
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(target)
  const port = m === null ? NaN : Number(m[3])
  if (m === null || port < 1 || port > 65535) {
    throw new ForwardTargetError(`'${target}': expected HOST:PORT, [IPv6]:PORT or unix:PATH`)
  }
  return { host: (m[1] ?? m[2]) as string, port }
}
