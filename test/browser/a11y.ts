/** In-page checks for the browser tests: text contrast (WCAG 2 ratio) and controls without a label or name. Run through page.evaluate. */

/** Visible text whose contrast against its (nearest opaque) background is below `min`, as "text: ratio". */
export function lowContrast(min: number): string[] {
  const rgb = (c: string): [number, number, number, number] => {
    const m = /rgba?\(([\d.]+)[, ]+([\d.]+)[, ]+([\d.]+)(?:[,/ ]+([\d.]+))?\)/.exec(c);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])] : [0, 0, 0, 1];
  };
  const lum = ([r, g, b]: number[]): number => {
    const f = (v: number): number => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
  };
  const background = (el: Element | null): number[] => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c[3] >= 0.99) return c;
    }
    return [255, 255, 255, 1];
  };
  const out: string[] = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent?.trim();
    const el = n.parentElement;
    if (!text || !el || !el.checkVisibility?.({ visibilityProperty: true, opacityProperty: true })) continue;
    const fg = lum(rgb(getComputedStyle(el).color));
    const bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < min) out.push(`${text.slice(0, 40)}: ${ratio.toFixed(2)}`);
  }
  return out;
}

/** Form controls without a label and buttons without an accessible name. */
export function unlabelled(): string[] {
  const out: string[] = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const i = el as HTMLInputElement;
    if (!i.labels?.length && !i.getAttribute('aria-label') && !i.getAttribute('aria-labelledby')) out.push(`${el.tagName} ${i.name || i.id}`);
  }
  for (const b of document.querySelectorAll('button')) if (!(b.getAttribute('aria-label') || b.textContent?.trim())) out.push(`button ${b.outerHTML.slice(0, 60)}`);
  return out;
}
