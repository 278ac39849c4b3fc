/**
 * NBD metadata contexts (NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT). The gateway
 * offers one, `base:allocation`, the context NBD_CMD_BLOCK_STATUS reports holes and zeroes in.
 */

export const BASE_ALLOCATION = 'base:allocation';
/** The id BLOCK_STATUS replies carry for base:allocation; any value the server picks will do. */
export const BASE_ALLOCATION_ID = 1;

/** The spec's limit on any string, an export name or a query. */
const MAX_STRING_BYTES = 4096;
/** Far more queries than a client has reason to send; bounds the work one option costs. */
const MAX_QUERIES = 128;

export interface MetaContextRequest {
  readonly exportName: string;
  readonly queries: readonly string[];
}

/**
 * Option data: u32 export-name length, name, u32 query count, then each query as u32
 * length and string. Returns a message naming the byte at fault when it does not parse.
 */
export function parseMetaContextRequest(data: Buffer): MetaContextRequest | string {
  if (data.length < 8) return `meta context data of ${data.length} bytes is shorter than 8`;
  const nameLength = data.readUInt32BE(0);
  if (nameLength > MAX_STRING_BYTES) return `byte 0: export name length ${nameLength} is over ${MAX_STRING_BYTES}`;
  if (4 + nameLength + 4 > data.length) return `byte 0: export name length ${nameLength} runs past the option data`;
  const exportName = data.toString('utf8', 4, 4 + nameLength);
  let at = 4 + nameLength;
  const count = data.readUInt32BE(at);
  if (count > MAX_QUERIES) return `byte ${at}: ${count} queries are over ${MAX_QUERIES}`;
  at += 4;
  const queries: string[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 4 > data.length) return `byte ${at}: query ${i} runs past the option data`;
    const length = data.readUInt32BE(at);
    if (length > MAX_STRING_BYTES || at + 4 + length > data.length) return `byte ${at}: query ${i} of ${length} bytes runs past the option data`;
    queries.push(data.toString('utf8', at + 4, at + 4 + length));
    at += 4 + length;
  }
  if (at !== data.length) return `byte ${at}: ${data.length - at} bytes after the last query`;
  return { exportName, queries };
}

/**
 * The contexts the queries select. A LIST with no queries asks for every context; a SET
 * with none selects none. `base:` (a namespace with nothing after the colon) means every
 * context in it, as the spec allows for LIST only.
 */
export function matchMetaContexts(queries: readonly string[], listing: boolean): string[] {
  if (queries.length === 0) return listing ? [BASE_ALLOCATION] : [];
  const hit = queries.some((q) => q === BASE_ALLOCATION || (listing && q === 'base:'));
  return hit ? [BASE_ALLOCATION] : [];
}

/** NBD_REP_META_CONTEXT data: u32 context id, then the name. */
export function metaContextReplyData(id: number, name: string): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const out = Buffer.alloc(4 + nameBytes.length);
  out.writeUInt32BE(id, 0);
  nameBytes.copy(out, 4);
  return out;
}
