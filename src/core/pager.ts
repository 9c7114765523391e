/**
 * The generic pager: fetches one page of any pagination style and says where the next one
 * starts. A walk ends only on the vendor's own signal (hasMore / hasNext / next / total),
 * never because a page came back short; a page that makes no progress ends it with a warning.
 */
import type { Upstream } from './upstream.js';
import type { PolicyName } from './cache.js';
import type { Listable, ListSource, PageToken } from './types.js';

export interface Page {
  token: PageToken;
  items: unknown[];
  /** Where the next page starts; undefined when the vendor says there is no more. */
  next: PageToken | undefined;
}

/**
 * One page of `src` at `token`; `cache` 'none' for the run index's syncs, which must see the vendor as it is now;
 * `size` asks for fewer items than the vendor's largest page (a head sync that expects few).
 */
export async function fetchPage<T extends Listable>(
  http: Upstream,
  src: ListSource<T>,
  token: PageToken,
  o: { cache?: PolicyName | 'none'; size?: number } = {},
): Promise<Page> {
  const p = { ...src.pagination, size: Math.min(src.pagination.size, o.size ?? src.pagination.size) };
  const query = { ...src.query };
  let body: unknown;
  switch (p.style) {
    case 'offset': {
      const off = typeof token === 'number' ? token : 0;
      query[p.limitParam] = String(p.size);
      query[p.offsetParam] = String(off);
      body = await http.json(src.path, query, o.cache ? { cache: o.cache } : {});
      const items = src.items(body);
      const more = p.hasMore(body) && items.length > 0;
      return { token, items, next: more ? off + items.length : undefined };
    }
    case 'page': {
      const page = typeof token === 'number' ? token : p.firstPage;
      query[p.sizeParam] = String(p.size);
      query[p.pageParam] = String(page);
      body = await http.json(src.path, query, o.cache ? { cache: o.cache } : {});
      const items = src.items(body);
      const more = p.hasMore(body, page) && items.length > 0;
      return { token, items, next: more ? page + 1 : undefined };
    }
    case 'cursor': {
      query[p.limitParam] = String(p.size);
      if (typeof token === 'string') query[p.cursorParam] = token;
      body = await http.json(src.path, query, o.cache ? { cache: o.cache } : {});
      const items = src.items(body);
      const next = p.next(body);
      // a cursor that does not move would loop forever: end the walk there
      const more = next !== null && next !== token && items.length > 0;
      return { token, items, next: more ? next : undefined };
    }
  }
}
