// The system Chromium (Debian's `chromium` package) driven by playwright-core: no browser download.
// A missing browser fails the test with the install command; nothing is skipped.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const INSTALL_HINT =
  'apt-get update && apt-get install -y --no-install-recommends chromium (or set STREAMFOLD_CHROMIUM to a Chromium binary)';

export function chromiumPath(): string {
  const fromEnv = process.env.STREAMFOLD_CHROMIUM;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`STREAMFOLD_CHROMIUM=${fromEnv} does not exist`);
    return fromEnv;
  }
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const found = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      // not on PATH under this name
    }
  }
  throw new Error(`Chromium is not installed; the dashboard test needs it. Install it with: ${INSTALL_HINT}`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // The sandbox needs user namespaces, which containers and root often lack; the page is our own.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}
