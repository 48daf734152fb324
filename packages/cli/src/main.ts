#!/usr/bin/env node
import 'reflect-metadata';
import { runCli } from './cli/run';

void runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  progressInPlace: process.stderr.isTTY === true,
}).then((code) => {
  process.exitCode = code;
});
