// The headless Chromium that the Node-side suites drive: @sparticuz/chromium's build, which `npm ci`
// installs as an ordinary package, so the tests need no system browser, no root and no download.
import { tmpdir } from "node:os";
import { join } from "node:path";
import packagedChromium from "@sparticuz/chromium";
import { chromium, type Browser } from "playwright-core";

// The package unpacks its Amazon Linux 2023 libraries (NSS, NSPR, expat: all the binary needs beyond
// libc) only when it believes it runs on a Node 20+ Lambda, and a bare Debian or Ubuntu lacks them.
process.env.AWS_LAMBDA_JS_RUNTIME = "nodejs22.x";

// Our own flags, not the package's Lambda defaults: with `--single-process` closing one page kills the
// others, and `--disable-web-security` would switch off the very protections a page's tests check.
const FLAGS = [
  "--no-sandbox", // CI runners and containers often run as root, where Chromium's sandbox cannot start
  "--headless=shell",
  "--use-gl=angle",
  "--use-angle=swiftshader", // software rendering, through the SwiftShader the package unpacks
  // Without these Chromium keeps calling home, which a closed network refuses.
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
];

/** Unpacks the packaged Chromium into the system temp directory (once; later calls reuse it) and returns its path. */
export function unpackChromium(): Promise<string> {
  return packagedChromium.executablePath();
}

/** Launches the packaged Chromium, headless, with the libraries and fonts unpacked beside it. */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = await unpackChromium();
  const unpacked = tmpdir();
  return chromium.launch({
    executablePath,
    args: FLAGS,
    headless: true,
    env: {
      ...process.env,
      LD_LIBRARY_PATH: [join(unpacked, "al2023", "lib"), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
      FONTCONFIG_PATH: join(unpacked, "fonts"),
    },
  });
}

/** Vitest global setup: unpack before the suites start, so test files running in parallel never race to write the binary. */
export async function setup(): Promise<void> {
  await unpackChromium();
}
