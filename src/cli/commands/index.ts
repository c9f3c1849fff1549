import type { Command } from '../command.ts';
import { cancelCommand } from './cancel.ts';
import { collectCommand } from './collect.ts';
import { configCommand } from './config.ts';
import { demoCommand } from './demo.ts';
import { doctorCommand } from './doctor.ts';
import { enqueueCommand } from './enqueue.ts';
import { initCommand } from './init.ts';
import { logCommand } from './log.ts';
import { qaDiffCommandDef } from './qa-diff.ts';
import { retryCommand } from './retry.ts';
import { statusCommand } from './status.ts';
import { workCommand } from './work.ts';
import { workerCommand } from './worker.ts';

export const commands: Command[] = [
  initCommand,
  enqueueCommand,
  workCommand,
  collectCommand,
  statusCommand,
  logCommand,
  cancelCommand,
  workerCommand,
  configCommand,
  doctorCommand,
  retryCommand,
  qaDiffCommandDef,
  demoCommand,
];
