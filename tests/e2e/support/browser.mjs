// A fresh Chromium profile per test (the harness's launch()), pages that record
// every console error/warning and page error, and the screenshot folder.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from '../../browser/harness.mjs';
import { root } from '../../js/helpers.mjs';

export const screenshotsDir = join(root, 'build/e2e/screenshots');

/**
 * Launches Chromium with a fresh profile. `problems` collects console errors and
 * warnings and uncaught page errors of every page opened through newPage();
 * nothing is filtered: the demo promises a clean console.
 */
export async function openBrowser() {
  const browser = await launch();
  const problems = [];
  const watch = (page) => {
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') {
        const where = msg.location()?.url ? ` (${msg.location().url}:${msg.location().lineNumber})` : '';
        problems.push(`console.${msg.type()}: ${msg.text()}${where}`);
      }
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('crash', () => problems.push('page crashed'));
  };
  return {
    context: browser.context,
    problems,
    async newPage(viewport) {
      const page = await browser.context.newPage();
      page.setDefaultTimeout(10_000); // a missing element fails fast instead of after 30 s
      watch(page);
      if (viewport) await page.setViewportSize(viewport);
      return page;
    },
    close: browser.close,
  };
}

/** Saves a full-page (or element) screenshot under build/e2e/screenshots/ and prints its path. */
export async function screenshot(target, name, { fullPage = true } = {}) {
  mkdirSync(screenshotsDir, { recursive: true });
  const path = join(screenshotsDir, `${name}.png`);
  const isPage = typeof target.goto === 'function';
  await target.screenshot(isPage ? { path, fullPage } : { path });
  console.log(`screenshot: ${path}`);
  return path;
}
