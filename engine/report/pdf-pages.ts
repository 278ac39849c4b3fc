/**
 * Page numbers of named destinations in a PDF printed by Chromium (Skia), so the table of
 * contents can show where each section starts. Chromium writes an anchor that a link points to
 * as a named destination (catalog /Dests: name → [page-ref /XYZ x y z]); the page's number is
 * its position in the page tree. This reads only uncompressed objects, which is how Skia writes
 * them; anything else gives an empty map, and the contents then show section numbers only.
 * Never throws: a PDF it does not understand just yields no page numbers.
 */
export function namedDestinationPages(pdf: Uint8Array): Map<string, number> {
  try {
    return parse(Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength).toString('latin1'));
  } catch {
    return new Map();
  }
}

const MAX_PAGES = 100_000;

function parse(text: string): Map<string, number> {
  const objects = new Map<number, string>();
  const header = /(\d{1,10})\s+0\s+obj\b/g;
  for (let m = header.exec(text); m !== null; m = header.exec(text)) {
    const start = m.index + m[0].length;
    const end = text.indexOf('endobj', start);
    if (end < 0) break;
    let body = text.slice(start, end);
    const stream = body.indexOf('stream');
    if (stream >= 0) body = body.slice(0, stream);
    objects.set(Number(m[1]), body);
    header.lastIndex = end;
  }
  const ref = (body: string | undefined, key: string): number | undefined => {
    const m = body === undefined ? null : new RegExp(`/${key}\\s+(\\d{1,10})\\s+0\\s+R`).exec(body);
    return m ? Number(m[1]) : undefined;
  };
  const catalog = [...objects.values()].find((b) => /\/Type\s*\/Catalog\b/.test(b));
  const pagesRoot = ref(catalog, 'Pages');
  const destsId = ref(catalog, 'Dests');
  if (pagesRoot === undefined || destsId === undefined) return new Map();

  const pageOrder = new Map<number, number>();
  const seen = new Set<number>();
  const walk = (id: number): void => {
    if (seen.has(id) || pageOrder.size >= MAX_PAGES) return;
    seen.add(id);
    const body = objects.get(id);
    if (body === undefined) return;
    if (/\/Type\s*\/Pages\b/.test(body)) {
      const kids = /\/Kids\s*\[([^\]]*)\]/.exec(body);
      if (!kids) return;
      for (const k of kids[1]!.matchAll(/(\d{1,10})\s+0\s+R/g)) walk(Number(k[1]));
    } else if (/\/Type\s*\/Page\b/.test(body)) {
      pageOrder.set(id, pageOrder.size + 1);
    }
  };
  walk(pagesRoot);

  const pages = new Map<string, number>();
  const dests = objects.get(destsId) ?? '';
  for (const d of dests.matchAll(/\/([A-Za-z0-9_.#-]+)\s*\[\s*(\d{1,10})\s+0\s+R/g)) {
    const page = pageOrder.get(Number(d[2]));
    if (page !== undefined) pages.set(d[1]!.replace(/#([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), page);
  }
  return pages;
}
