#!/usr/bin/env node
// The `replicant` command. The code lives in ../dist (compiled by `npm ci`, via `prepare`).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
