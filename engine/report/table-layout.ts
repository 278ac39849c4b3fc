import type { Paper } from './model.js';

/**
 * Wide tables are split into parts that fit the page, instead of letting Chromium shrink the
 * whole page to fit the widest table (a 17-column sweep table printed every page of a report at
 * two thirds of its size). Each part repeats the key columns, so a row can be read across parts.
 */

/** Width of the printable area, mm (the @page margins are 15 mm left and right). */
const CONTENT_MM: Record<Paper, number> = { A4: 210 - 30, Letter: 215.9 - 30 };
/** An average glyph of the 8 pt table font (DejaVu Sans, digits and lower case), and a cell's side padding, mm. */
const GLYPH_MM = 1.6;
const PADDING_MM = 3.2;

/** The printed width a column needs: its longest value, or its header's longest word (headers wrap). */
export function columnWidthMm(header: string, cells: readonly string[]): number {
  const headerWord = Math.max(0, ...header.split(/\s+/).map((w) => w.length));
  const longest = Math.max(headerWord, ...cells.map((c) => c.length));
  return longest * GLYPH_MM + PADDING_MM;
}

/**
 * Column indices for each part. `keys` are the leading columns every part repeats; the others
 * are packed in order while they fit. A column too wide for a page alone gets a part of its own
 * (its cells wrap there).
 */
export function splitColumns(widthsMm: readonly number[], paper: Paper, keys = 1): number[][] {
  const budget = CONTENT_MM[paper];
  const keyCount = Math.min(keys, widthsMm.length);
  const keyIdx = [...Array(keyCount).keys()];
  const keyWidth = keyIdx.reduce((sum, i) => sum + widthsMm[i]!, 0);
  if (widthsMm.reduce((a, b) => a + b, 0) <= budget || widthsMm.length <= keyCount) return [[...widthsMm.keys()]];
  const parts: number[][] = [];
  let current: number[] = [];
  let used = keyWidth;
  for (let i = keyCount; i < widthsMm.length; i++) {
    const w = widthsMm[i]!;
    if (current.length > 0 && used + w > budget) {
      parts.push([...keyIdx, ...current]);
      current = [];
      used = keyWidth;
    }
    current.push(i);
    used += w;
  }
  if (current.length > 0) parts.push([...keyIdx, ...current]);
  return balance(parts, widthsMm, keyIdx, budget);
}

/** The same number of parts with about as many columns each, when they still fit: no lone last column. */
function balance(parts: number[][], widthsMm: readonly number[], keyIdx: number[], budget: number): number[][] {
  const others = parts.flatMap((p) => p.slice(keyIdx.length));
  const per = Math.ceil(others.length / parts.length);
  const even: number[][] = [];
  for (let i = 0; i < others.length; i += per) even.push([...keyIdx, ...others.slice(i, i + per)]);
  const fits = even.length === parts.length && even.every((p) => p.reduce((sum, c) => sum + widthsMm[c]!, 0) <= budget);
  return fits ? even : parts;
}
