#!/usr/bin/env node
// Launcher: registers the TypeScript loader so `refci` runs with plain node right after `npm install`.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
