// Vitest global setup for the Node-side suites: starts the service the way `npm run dev` does
// (wrangler's own dev server, local Durable Objects, the development key set), once per run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { unstable_startWorker } from "wrangler";
import type {} from "vitest";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The service over plain HTTP, as `npm run dev` serves it. */
    serviceUrl: string;
    /** A second instance over HTTPS (`wrangler dev --local-protocol https`), with its own storage. */
    secureServiceUrl: string;
    /** The PEM certificate the HTTPS instance presents (self-signed), for clients to trust. */
    secureServiceCertificate: string;
  }
}

/** Where the Workers started here find each other (the service's SITE binding), apart from any other wrangler session's. */
const registry = mkdtempSync(join(tmpdir(), "wrangler-registry-"));

const start = (config: string, secure = false) =>
  unstable_startWorker({
    config,
    dev: {
      server: { hostname: "127.0.0.1", port: 0, secure },
      inspector: false,
      persist: false,
      watch: false,
      logLevel: "error",
      registry,
    },
  });

/** The certificate a TLS server presents, read without trusting it. */
function presentedCertificate(url: URL): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()!.toString());
      socket.end();
    });
    socket.on("error", reject);
  });
}

export default async function startService(project: TestProject) {
  // Microsoft Graph's JavaScript client (v3) sends the token only to https:// hosts, so its suite needs HTTPS.
  // The site Worker first: the service reaches it by its SITE binding, through wrangler's registry of local Workers.
  const site = await start("site/wrangler.toml");
  await site.ready;
  const [plain, secure] = await Promise.all([start("wrangler.toml"), start("wrangler.toml", true)]);
  await Promise.all([plain.ready, secure.ready]);
  const secureUrl = await secure.url;
  project.provide("serviceUrl", (await plain.url).origin);
  project.provide("secureServiceUrl", secureUrl.origin);
  project.provide("secureServiceCertificate", await presentedCertificate(secureUrl));
  return async () => {
    await Promise.all([plain.dispose(), secure.dispose()]);
    await site.dispose();
    rmSync(registry, { recursive: true, force: true });
  };
}
