/**
 * Nesting limits, checked before a parser or validator recurses: a file nested thousands deep
 * would otherwise end in "Maximum call stack size exceeded" with no place to look.
 */
export const MAX_NESTING_DEPTH = 64;

export interface TooDeep { depth: number; offset: number }

/** First place JSON text opens more than `limit` nested objects/arrays, or null. One pass, no recursion. */
export function findTooDeepJson(text: string, limit: number = MAX_NESTING_DEPTH): TooDeep | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) { if (++depth > limit) return { depth, offset: i }; }
    else if (c === 125 || c === 93) depth--;
  }
  return null;
}

/** JSON path of the first value nested deeper than `limit`, or null. Iterative, so any depth is safe. */
export function findTooDeepValue(value: unknown, limit: number = MAX_NESTING_DEPTH): string | null {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '$', depth: 0 }];
  let visited = 0;
  while (stack.length) {
    const top = stack.pop()!;
    if (typeof top.value !== 'object' || top.value === null) continue;
    if (top.depth >= limit) return top.path;
    // Bounded work: a wide value is the schema's to refuse, not this walk's to finish.
    if (++visited > 1_000_000) return null;
    if (Array.isArray(top.value)) {
      top.value.forEach((item, i) => stack.push({ value: item, path: `${top.path}[${i}]`, depth: top.depth + 1 }));
    } else {
      for (const [key, item] of Object.entries(top.value)) stack.push({ value: item, path: `${top.path}.${key}`, depth: top.depth + 1 });
    }
  }
  return null;
}
