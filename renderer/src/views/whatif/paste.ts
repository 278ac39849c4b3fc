/** Pasted rows of `N, throughput`; a first row with no number in it is a header and names the throughput. */
export function parsePoints(text: string): { points: Array<{ n: number; throughput: number }>; label: string | null } | string {
  const points: Array<{ n: number; throughput: number }> = [];
  let label: string | null = null;
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  for (const [i, line] of lines.entries()) {
    const cells = line.split(/\s*[,;\t]\s*|\s+/);
    if (i === 0 && cells.every((c) => c === '' || !Number.isFinite(Number(c)))) {
      label = cells[1]?.trim() || null;
      continue;
    }
    const [n, x] = [cells[0] === '' ? NaN : Number(cells[0]), cells[1] === undefined || cells[1] === '' ? NaN : Number(cells[1])];
    if (cells.length < 2 || !Number.isFinite(n) || !Number.isFinite(x)) return `line ${i + 1}: expected "N, throughput"`;
    points.push({ n, throughput: x });
  }
  return { points, label };
}
