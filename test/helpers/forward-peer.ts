/**
 * A minimal Fluent forward-protocol v1 server for tests, written from the specification (not the
 * client library under test): Message, Forward, PackedForward and CompressedPackedForward modes,
 * EventTime (ext type 0) decoded, and {"ack": chunk} answered when the client asks for it. It can
 * be stopped abruptly (sockets destroyed, as a crashing Fluent Bit would) and started again.
 */
import net from 'node:net'
import { gunzipSync } from 'node:zlib'
import { ExtensionCodec, decodeMulti, decodeMultiStream, encode } from '@msgpack/msgpack'

export interface PeerEntry { tag: string, time: { sec: number, nsec: number } | number, record: Record<string, unknown> }

const codec = new ExtensionCodec()
codec.register({
  type: 0, // EventTime: uint32 seconds, uint32 nanoseconds, big-endian
  encode: () => null,
  decode: (data: Uint8Array) => {
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength)
    return { sec: v.getUint32(0), nsec: v.getUint32(4) }
  }
})

export class ForwardPeer {
  readonly entries: PeerEntry[] = []
  acks = 0
  /** Chunks received and not acknowledged while withholdAcks was set. */
  unacked = 0
  /**
   * Takes chunks without acknowledging them: a peer that received a chunk and crashed before its
   * ack, so the sender must send it again (a duplicate the receiver has to tolerate).
   */
  withholdAcks = false
  #server: net.Server | null = null
  readonly #sockets = new Set<net.Socket>()

  /** Listens on a TCP port (0 = any) of 127.0.0.1, or on a unix socket path. */
  async start (where: { port: number } | { path: string }): Promise<number> {
    const server = net.createServer(socket => { void this.#serve(socket) })
    this.#server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      if ('path' in where) server.listen(where.path, resolve)
      else server.listen(where.port, '127.0.0.1', resolve)
    })
    const address = server.address()
    return typeof address === 'object' && address !== null ? address.port : 0
  }

  /** Stops at once: the listener closes and every connection is cut. */
  async stop (): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    this.#sockets.clear()
    const server = this.#server
    this.#server = null
    if (server !== null) await new Promise(resolve => server.close(resolve))
  }

  async #serve (socket: net.Socket): Promise<void> {
    this.#sockets.add(socket)
    socket.on('error', () => {})
    try {
      for await (const message of decodeMultiStream(socket, { extensionCodec: codec })) {
        this.#handle(socket, message as unknown[])
      }
    } catch {
      // a cut connection ends the stream mid-message: nothing to do
    } finally {
      this.#sockets.delete(socket)
    }
  }

  #handle (socket: net.Socket, message: unknown[]): void {
    if (!Array.isArray(message)) return // heartbeat (nil)
    const tag = message[0] as string
    const second = message[1]
    let option: Record<string, unknown> | undefined
    if (typeof second === 'number' || (typeof second === 'object' && second !== null && 'sec' in second)) {
      // Message mode: [tag, time, record, option?]
      this.entries.push({ tag, time: second as PeerEntry['time'], record: message[2] as Record<string, unknown> })
      option = message[3] as Record<string, unknown> | undefined
    } else if (Array.isArray(second)) {
      // Forward mode: [tag, [[time, record], …], option?]
      for (const [time, record] of second as Array<[PeerEntry['time'], Record<string, unknown>]>) this.entries.push({ tag, time, record })
      option = message[2] as Record<string, unknown> | undefined
    } else {
      // PackedForward / CompressedPackedForward: [tag, bin of concatenated [time, record], option?]
      option = message[2] as Record<string, unknown> | undefined
      let packed = second instanceof Uint8Array ? second : Buffer.from(String(second), 'binary')
      if (option?.['compressed'] === 'gzip') packed = gunzipSync(packed)
      for (const entry of decodeMulti(packed, { extensionCodec: codec })) {
        const [time, record] = entry as [PeerEntry['time'], Record<string, unknown>]
        this.entries.push({ tag, time, record })
      }
    }
    if (typeof option?.['chunk'] === 'string') {
      if (this.withholdAcks) {
        this.unacked++
        return
      }
      this.acks++
      socket.write(encode({ ack: option['chunk'] }))
    }
  }
}
