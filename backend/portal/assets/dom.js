// @ts-check
// Building the page's elements. Everything goes in as text or as an
// attribute's value, never as markup: this module is the only way the
// portal makes elements, and it has no way to parse HTML.

import { shownFileName } from './format.js';

/**
 * What el sets: text, class, attributes (null, undefined and false leave
 * one out; true sets it empty), on… listeners, and the hidden, disabled and
 * multiple properties.
 * @typedef {Record<string, string | number | boolean | null | undefined | ((e: any) => void)>} Props
 */

/** @typedef {Node | string | null | undefined | false} Child */

/**
 * Makes an element: props set text, attributes and listeners; children are
 * nodes or text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props} [props]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') {
      if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    } else if (k === 'text') node.textContent = String(v);
    else if (k === 'class') node.className = String(v);
    else if (k === 'hidden' || k === 'disabled' || k === 'multiple') setFlag(node, k, Boolean(v));
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

/**
 * Sets a boolean property where the element has it.
 * @param {HTMLElement} node
 * @param {'hidden' | 'disabled' | 'multiple'} name
 * @param {boolean} on
 */
function setFlag(node, name, on) {
  if (name === 'hidden') node.hidden = on;
  else if (name in node) /** @type {any} */ (node)[name] = on;
}

/** A line icon drawn with the text's colour, hidden from screen readers. */
export function svgIcon(/** @type {string} */ path) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', path);
  p.setAttribute('fill', 'none');
  p.setAttribute('stroke', 'currentColor');
  p.setAttribute('stroke-width', '2');
  p.setAttribute('stroke-linecap', 'round');
  svg.append(p);
  return svg;
}

export const PAPER_CLIP = 'M21 11.5l-8.6 8.6a5 5 0 0 1-7.1-7.1l8.6-8.6a3.3 3.3 0 0 1 4.7 4.7l-8.6 8.6a1.7 1.7 0 0 1-2.4-2.4l7.9-7.9';

/**
 * Someone else's text (a name, a title, a message) in an element of its
 * own, isolated (see format.js).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props} props
 * @param {string} text
 */
export function theirs(tag, props, text) {
  return el(tag, { ...props, dir: 'auto', text });
}

/**
 * A file name in an element of its own, isolated, left to right, controls
 * visible.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props} props
 * @param {string} name
 */
export function fileName(tag, props, name) {
  return el(tag, { ...props, dir: 'ltr', class: ['file-name', props.class].filter(Boolean).join(' '), text: shownFileName(name) });
}
