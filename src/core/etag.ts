/**
 * A strong ETag of an answer's text, cheap enough for the hottest path (a finished run's detail, served from the
 * memo as the same string each time): a 53-bit hash of the text, remembered per string. Not a secret and not a
 * signature: it only has to change when the text does.
 */
const memo = new Map<string, string>();
const MEMO_MAX = 2000;

/** cyrb53 (public domain): two 32-bit multiply-xorshift lanes over the UTF-16 code units. */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** `"<hash>-<length>"` of `text`. */
export function etagOf(text: string): string {
  let tag = memo.get(text);
  if (tag === undefined) {
    tag = `"${hash53(text).toString(16)}-${text.length.toString(16)}"`;
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(text, tag);
  }
  return tag;
}

/** Does an `If-None-Match` header name `tag` (or `*`)? Weak comparison, as for GET. */
export function matchesTag(ifNoneMatch: string | undefined, tag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = tag.replace(/^W\//, '');
  return (ifNoneMatch.match(/(?:W\/)?"[^"]*"/g) ?? []).some((t) => t.replace(/^W\//, '') === bare);
}
