// Accessibility checks with axe-core (through @axe-core/playwright): the
// rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA, run on the page as it is
// now. Every check writes the whole axe report and a short summary to
// test-output/e2e/axe/<name>.json, so what was found can be read later even
// when nothing failed. axe's best-practice rules run too and are reported
// apart, without failing.
//
// A serious or critical violation fails the check. Setting
// DOORSTEP_E2E_AXE_REPORT_ONLY=1 only records them (to take stock of a
// screen before fixing it).
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';

const outputDir = path.join(process.env.DOORSTEP_E2E_OUTPUT ?? 'test-output/e2e', 'axe');

/** The WCAG levels checked: 2.0, 2.1 and 2.2, A and AA. */
export const wcagTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

/** Impacts that fail a check. */
const failing = new Set(['serious', 'critical']);

/** One line per violation and node: rule, impact, where. */
function describe(violations) {
  return violations.flatMap((v) =>
    v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1, 2).join('').trim() ?? v.help}`),
  );
}

/**
 * Waits for running transitions and animations to end: colours measured
 * half-way through a change of scheme would be neither scheme's.
 * @param {import('playwright-core').Page} page
 */
export async function settled(page) {
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => a.effect?.getTiming().iterations !== Infinity)
        .map((a) => a.finished.catch(() => {})),
    ),
  );
}

/**
 * Runs axe on page and writes <output>/axe/<name>.json. Fails (assert) on any
 * serious or critical violation, naming rule, impact and target selectors.
 * Returns the violations (all impacts).
 * @param {import('playwright-core').Page} page
 * @param {string} name
 */
export async function checkA11y(page, name) {
  await settled(page);
  const results = await new AxeBuilder({ page }).withTags([...wcagTags, 'best-practice']).analyze();
  // axe's best practices (landmarks, headings) are kept in the report apart:
  // they are advice, not WCAG's success criteria.
  const wcag = (v) => v.tags.some((tag) => wcagTags.includes(tag));
  const violations = results.violations.filter(wcag);
  const advice = results.violations.filter((v) => !wcag(v));
  const counts = (list) => Object.fromEntries(list.map((v) => [v.id, { impact: v.impact, nodes: v.nodes.length }]));
  const summary = {
    name,
    url: page.url(),
    counts: counts(violations),
    lines: describe(violations),
    bestPractice: counts(advice),
    bestPracticeLines: describe(advice),
  };
  await mkdir(outputDir, { recursive: true });
  await writeFile(path.join(outputDir, `${name}.json`), JSON.stringify({ summary, results }, null, 2));
  const bad = violations.filter((v) => failing.has(v.impact ?? ''));
  if (process.env.DOORSTEP_E2E_AXE_REPORT_ONLY !== '1') {
    assert.equal(bad.length, 0, `${name}: serious or critical accessibility violations:\n${describe(bad).join('\n')}`);
  }
  return violations;
}
