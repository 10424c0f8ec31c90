"""Does a page fit its window? Checked in the browser: no element reaches past the viewport's
width, and no SVG text lies outside its chart (each text's getBBox, carried into the SVG's own
coordinates, against the SVG's viewBox)."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page

_CHECK = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 0.5) {  // a skip link waits off-screen on the left
      wide.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}` +
                `${el.className && el.className.baseVal === undefined ? '.' + el.className : ''}` +
                `${el.closest('section[id]') ? ' in #' + el.closest('section[id]').id : ''}` +
                ` ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
  }
  const outside = [];
  let texts = 0;
  for (const svg of document.querySelectorAll('svg')) {
    const vb = svg.viewBox.baseVal;
    const box = vb && vb.width ? vb : {x: 0, y: 0, width: svg.width.baseVal.value,
                                        height: svg.height.baseVal.value};
    const toSvg = svg.getScreenCTM().inverse();
    for (const t of svg.querySelectorAll('text')) {
      texts += 1;
      const b = t.getBBox();
      const m = toSvg.multiply(t.getScreenCTM());
      const corners = [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height],
                       [b.x + b.width, b.y + b.height]].map(([x, y]) => new DOMPoint(x, y)
                       .matrixTransform(m));
      const xs = corners.map(p => p.x), ys = corners.map(p => p.y);
      if (Math.min(...xs) < box.x - 0.5 || Math.max(...xs) > box.x + box.width + 0.5 ||
          Math.min(...ys) < box.y - 0.5 || Math.max(...ys) > box.y + box.height + 0.5) {
        outside.push(`${svg.id || 'svg'}: "${t.textContent}" x ${Math.round(Math.min(...xs))}..` +
                     `${Math.round(Math.max(...xs))} of ${Math.round(box.x)}..` +
                     `${Math.round(box.x + box.width)}`);
      }
    }
  }
  return {width, scroll: document.documentElement.scrollWidth, wide, outside, texts};
}"""


async def misfits(page: Page) -> dict[str, Any]:
    """What does not fit: elements wider than the window, SVG texts outside their chart."""
    found: dict[str, Any] = await page.evaluate(_CHECK)
    return found


async def assert_fits(page: Page) -> int:
    """Fail naming what does not fit; returns how many SVG texts were checked."""
    found = await misfits(page)
    assert found["scroll"] <= found["width"], f"the page scrolls sideways: {found}"
    assert not found["wide"], f"wider than the {found['width']} px window: {found['wide'][:10]}"
    assert not found["outside"], f"SVG text outside its chart: {found['outside'][:10]}"
    return int(found["texts"])
