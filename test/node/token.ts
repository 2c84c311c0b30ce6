// Development tokens for the Node-side suites, minted exactly as `npm run token` mints them.
export { mintDevToken as mintToken, type DevTokenOptions as TokenOptions } from "../../scripts/dev-token.ts";
