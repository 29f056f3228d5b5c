// What the palette tests check, shared by the desktop UI's tests
// (src/palette.test.ts) and the tenant portal's (backend/portal/test/palette.test.js):
// where colour literals hide in CSS, a palette's two schemes, the contrast
// pairs it lists, and the WCAG contrast ratio.

const namedColours =
  'aliceblue|antiquewhite|aqua|aquamarine|azure|beige|bisque|black|blanchedalmond|blue|blueviolet|brown|' +
  'burlywood|cadetblue|chartreuse|chocolate|coral|cornflowerblue|cornsilk|crimson|cyan|darkblue|darkcyan|' +
  'darkgoldenrod|darkgray|darkgreen|darkgrey|darkkhaki|darkmagenta|darkolivegreen|darkorange|darkorchid|' +
  'darkred|darksalmon|darkseagreen|darkslateblue|darkslategray|darkslategrey|darkturquoise|darkviolet|' +
  'deeppink|deepskyblue|dimgray|dimgrey|dodgerblue|firebrick|floralwhite|forestgreen|fuchsia|gainsboro|' +
  'ghostwhite|gold|goldenrod|gray|green|greenyellow|grey|honeydew|hotpink|indianred|indigo|ivory|khaki|' +
  'lavender|lavenderblush|lawngreen|lemonchiffon|lightblue|lightcoral|lightcyan|lightgoldenrodyellow|' +
  'lightgray|lightgreen|lightgrey|lightpink|lightsalmon|lightseagreen|lightskyblue|lightslategray|' +
  'lightslategrey|lightsteelblue|lightyellow|lime|limegreen|linen|magenta|maroon|mediumaquamarine|' +
  'mediumblue|mediumorchid|mediumpurple|mediumseagreen|mediumslateblue|mediumspringgreen|' +
  'mediumturquoise|mediumvioletred|midnightblue|mintcream|mistyrose|moccasin|navajowhite|navy|oldlace|' +
  'olive|olivedrab|orange|orangered|orchid|palegoldenrod|palegreen|paleturquoise|palevioletred|' +
  'papayawhip|peachpuff|peru|pink|plum|powderblue|purple|rebeccapurple|red|rosybrown|royalblue|' +
  'saddlebrown|salmon|sandybrown|seagreen|seashell|sienna|silver|skyblue|slateblue|slategray|slategrey|' +
  'snow|springgreen|steelblue|tan|teal|thistle|tomato|turquoise|violet|wheat|white|whitesmoke|yellow|' +
  'yellowgreen';
const colourLiteral = new RegExp(
  // A name inside a longer one (--red, white-space) is not a colour.
  String.raw`#[0-9a-f]{3,8}\b|(?<![\w-])(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(|(?<![\w-])(?:${namedColours})(?![\w-])`,
  'i',
);

/** The CSS a file holds: a stylesheet whole, a component's style blocks and style attributes. */
export function cssOf(name: string, text: string): string {
  if (name.endsWith('.css')) return text;
  const blocks = [...text.matchAll(/<style[^>]*>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
  const attributes = [...text.matchAll(/\sstyle="([^"]*)"/g)].map((m) => `{${m[1]};}`);
  return [...blocks, ...attributes].join('\n');
}

/** Declarations ("property: value") whose value writes a colour itself. */
export function colourLiterals(css: string): string[] {
  const withoutComments = css.replace(/\/\*[\s\S]*?\*\//g, '');
  const found: string[] = [];
  for (const m of withoutComments.matchAll(/([\w-]+)\s*:\s*([^;{}]+)(?=[;}])/g)) {
    if (colourLiteral.test(m[2] ?? '')) found.push(`${m[1]}: ${m[2]?.trim()}`);
  }
  return found;
}

export type Scheme = Record<string, string>;

/** The palette's custom properties, light (:root) and dark (the prefers-color-scheme: dark block). */
export function schemes(css: string): { light: Scheme; dark: Scheme } {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, '');
  const darkAt = text.search(/@media\s*\(prefers-color-scheme:\s*dark\)/);
  if (darkAt < 0) throw new Error('the palette has no prefers-color-scheme: dark block');
  const properties = (part: string) =>
    Object.fromEntries([...part.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)].map((m) => [m[1], m[2]!.trim()]));
  const light = properties(text.slice(0, darkAt));
  // The dark scheme overrides the light one; what it leaves out stays.
  return { light, dark: { ...light, ...properties(text.slice(darkAt)) } };
}

/** The pairs a palette lists in its header comment: "--fg on --bg ratio". */
export function pairs(css: string): { fg: string; bg: string; min: number }[] {
  return [...css.matchAll(/^\s*(--[\w-]+)\s+on\s+(--[\w-]+)\s+([\d.]+)\s*$/gm)].map((m) => ({
    fg: m[1]!,
    bg: m[2]!,
    min: Number(m[3]),
  }));
}

function luminance(hex: string): number {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new Error(`${hex}: a palette colour in a contrast pair is written #rrggbb`);
  const channel = (i: number) => {
    const c = parseInt(m[1]!.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
}

/** WCAG 2.x contrast ratio of two opaque colours. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}


/**
 * Custom properties the sources read (var(--name)) that neither the palette
 * nor the sources themselves define: a typo there is a colour that silently
 * falls back to nothing.
 */
export function undefinedProperties(palette: string, sources: Record<string, string>): string[] {
  const texts = [palette, ...Object.values(sources)];
  const defined = new Set(texts.flatMap((t) => [...t.matchAll(/(--[\w-]+)\s*:/g)].map((m) => m[1])));
  const used = new Set(texts.flatMap((t) => [...t.matchAll(/var\(\s*(--[\w-]+)/g)].map((m) => m[1]!)));
  return [...used].filter((name) => !defined.has(name)).sort();
}
