#!/usr/bin/env node
// Thin launcher: the CLI is compiled by `npm run build` (run by `npm install` via `prepare`).
import { main } from "../dist/src/cli/main.js";

// grpc-js passes an IP literal as TLS servername when connecting to one (Node's DEP0123);
// the server certificate carries the IP as a subjectAltName, so the warning is noise.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const code = typeof rest[0] === "object" ? rest[0]?.code : rest[1];
  if (code !== "DEP0123") emitWarning(warning, ...rest);
};

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err); process.exitCode = 2; },
);
