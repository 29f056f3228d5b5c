// The little of node:fs palette.test.js reads the portal's stylesheets with:
// the portal's type check has no Node types (its modules run in browsers).
declare module 'node:fs' {
  export function readFileSync(path: URL, encoding: 'utf8'): string;
  export function readdirSync(path: URL): string[];
}
