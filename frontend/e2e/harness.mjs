// Shared set-up for the browser end-to-end scenarios.
//
// scripts/e2e.sh starts a real doorstep-server and `wails dev` (the real Go
// bindings behind a browser-reachable UI) under Xvfb, then runs every
// e2e/*.test.mjs with node's test runner. A scenario calls openApp(t) and
// drives the page with Playwright; the browser is closed when the test ends.
//
// Environment (set by scripts/e2e.sh):
//   DOORSTEP_E2E_APP_URL     the UI served by `wails dev`
//   DOORSTEP_E2E_SERVER_URL  the doorstep-server the app talks to
//   DOORSTEP_E2E_OUTPUT      where screenshots go (test-output/e2e)
//   CHROMIUM                 the browser binary (default /usr/bin/chromium)
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the scenarios through scripts/e2e.sh (make test-e2e)`);
  return v;
}

export const appURL = required('DOORSTEP_E2E_APP_URL');
export const serverURL = required('DOORSTEP_E2E_SERVER_URL');
const outputDir = process.env.DOORSTEP_E2E_OUTPUT ?? 'test-output/e2e';

// Chromium flags for a closed network: no background traffic, no downloads.
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Opens url in a fresh Chromium profile (no cookies, no storage). Returns the
 * page and a screenshot helper; everything is closed when test t ends.
 * @param {import('node:test').TestContext} t
 * @param {string} url
 * @param {{ width?: number, height?: number }} [viewport]
 */
export async function openPage(t, url, viewport = { width: 1180, height: 780 }) {
  const profile = await mkdtemp(path.join(tmpdir(), 'doorstep-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: chromiumArgs,
    viewport,
  });
  t.after(async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err));
  await page.goto(url);
  return {
    page,
    context,
    /** Uncaught errors thrown in the page so far. */
    pageErrors,
    /** Saves a screenshot as <output>/<name>.png and returns its path. */
    async screenshot(name) {
      await mkdir(outputDir, { recursive: true });
      const file = path.join(outputDir, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
  };
}

/**
 * Opens the app, signed out, in a fresh Chromium profile. Returns the page
 * and a screenshot helper; everything is closed when test t ends.
 * @param {import('node:test').TestContext} t
 * @param {{ width?: number, height?: number }} [viewport]
 */
export async function openApp(t, viewport = { width: 1180, height: 780 }) {
  const opened = await openPage(t, appURL, viewport);
  const { page } = opened;
  // Every scenario starts signed out: the app process outlives scenarios.
  await page.waitForFunction(() => window.go?.app?.AccountService);
  const signedIn = await page.evaluate(async () => (await window.go.app.AccountService.State()).signedIn);
  if (signedIn) {
    await page.evaluate(() => window.go.app.AccountService.SignOut());
    await page.reload();
  }
  return opened;
}

/**
 * Waits until the server's dev mailbox (notifications are kept there when no
 * SMTP server or SMS provider is configured) holds a message on channel
 * ("email" or "sms") to `to` whose text matches `pattern`; returns it.
 */
export async function mailFor(to, channel, pattern = /./) {
  const file = path.join(required('DOORSTEP_E2E_SERVER_DATA'), 'mailbox', 'mailbox.jsonl');
  for (let i = 0; i < 300; i++) {
    let lines = [];
    try {
      lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    } catch {
      /* nothing sent yet */
    }
    const found = lines
      .map((l) => JSON.parse(l))
      .reverse()
      .find((m) => m.to === to && m.channel === channel && pattern.test(m.text));
    if (found) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${channel} to ${to} matching ${pattern} in the dev mailbox`);
}

// The server can be stopped and started again (same address, same data), to
// see what the app does in an outage. The pid file always names the live one.
const serverPidFile = process.env.DOORSTEP_E2E_SERVER_PIDFILE;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let serverStopped = false;

/**
 * Stops the test server (SIGTERM) and waits until it is gone. It is started
 * again when test t ends, if t has not done so itself: a scenario failing
 * during its outage must not fail every scenario after it.
 */
export async function stopServer(t) {
  t.after(async () => {
    if (serverStopped) await startServer();
  });
  serverStopped = true;
  const pid = Number(readFileSync(serverPidFile, 'utf8'));
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
}

/** Starts the test server again on its address and data; waits until healthy. */
export async function startServer() {
  const addr = new URL(serverURL).host;
  const child = spawn(required('DOORSTEP_E2E_SERVER_BIN'), ['serve', '-addr', addr, '-data', required('DOORSTEP_E2E_SERVER_DATA')], {
    stdio: 'ignore',
    detached: true,
  });
  child.unref();
  writeFileSync(serverPidFile, String(child.pid));
  serverStopped = false;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${serverURL}/healthz`)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the test server did not come back');
}
