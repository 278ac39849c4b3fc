/**
 * base:allocation extents as backends hand them to the gateway: big-endian u32 (length,
 * flags) pairs, the wire form of an NBD_REPLY_TYPE_BLOCK_STATUS chunk after its context id.
 */

const DESCRIPTOR_BYTES = 8;

/** One extent covering the request, flagged as data: the honest answer of a backend that cannot see holes. */
export function allDataExtents(length: number): Buffer {
  const out = Buffer.alloc(DESCRIPTOR_BYTES);
  out.writeUInt32BE(length, 0);
  return out;
}

/**
 * Check descriptors that came from an upstream before they reach a client: a whole number
 * of non-empty descriptors starting at `offset`, none past the export's end (the last is cut
 * to it), one only if the client asked with REQ_ONE (and then no longer than the request).
 * Returns the descriptors to send, or a reason they cannot be sent.
 */
export function checkUpstreamExtents(descriptors: Buffer, offset: number, length: number, exportSize: number, reqOne: boolean): Buffer | string {
  if (descriptors.length === 0 || descriptors.length % DESCRIPTOR_BYTES !== 0) return `${descriptors.length} bytes of descriptors are not a whole number of 8-byte descriptors`;
  let end = offset;
  let at = 0;
  const limit = reqOne ? DESCRIPTOR_BYTES : descriptors.length;
  for (; at < limit; at += DESCRIPTOR_BYTES) {
    const extent = descriptors.readUInt32BE(at);
    if (extent === 0) return `descriptor ${at / DESCRIPTOR_BYTES} is empty`;
    if (end >= exportSize) return `descriptor ${at / DESCRIPTOR_BYTES} starts at ${end}, past the export's ${exportSize} bytes`;
    end += extent;
  }
  const kept = Buffer.from(descriptors.subarray(0, at));
  const lastAt = at - DESCRIPTOR_BYTES;
  const last = kept.readUInt32BE(lastAt);
  const cap = reqOne ? Math.min(offset + length, exportSize) : exportSize;
  if (end > cap) kept.writeUInt32BE(last - (end - cap), lastAt);
  return kept;
}
