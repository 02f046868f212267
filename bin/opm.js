#!/usr/bin/env node
// Thin launcher: the CLI is compiled by `npm run build` (run by `npm install` via `prepare`).
import { main } from "../dist/src/cli/main.js";

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err); process.exitCode = 2; },
);
