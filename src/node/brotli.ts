/** Brotli for Node answers (CompressionStream, which hono/compress uses, has gzip and deflate only): quality 5, off the event loop. */
import { promisify } from 'node:util';
import { brotliCompress, constants } from 'node:zlib';
import type { MiddlewareHandler } from 'hono';

const compressBr = promisify(brotliCompress);
const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml)|image\/svg)/i;
/** Smaller answers go as they are (the bytes saved would not pay for the work). */
const THRESHOLD = 1024;

/** Compresses an answer with br for a client whose Accept-Encoding names br; anything else passes to `next`. */
export function brotli(): MiddlewareHandler {
  return async (c, next) => {
    if (!/\bbr\b/i.test(c.req.header('accept-encoding') ?? '')) return next();
    await next();
    const res = c.res;
    if (c.req.method === 'HEAD' || !res.body || res.status !== 200 || res.headers.has('content-encoding')) return;
    if (!COMPRESSIBLE.test(res.headers.get('content-type') ?? '')) return;
    const plain = new Uint8Array(await res.arrayBuffer());
    const headers = new Headers(res.headers);
    headers.append('Vary', 'Accept-Encoding');
    if (plain.byteLength < THRESHOLD) {
      c.res = new Response(plain, { status: res.status, headers });
      return;
    }
    const body = await compressBr(plain, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: plain.byteLength } });
    headers.set('Content-Encoding', 'br');
    headers.delete('Content-Length');
    // a strong ETag names the plain bytes: the encoded ones get a weak one
    const tag = headers.get('etag');
    if (tag && !tag.startsWith('W/')) headers.set('ETag', `W/${tag}`);
    c.res = new Response(body, { status: res.status, headers });
  };
}
