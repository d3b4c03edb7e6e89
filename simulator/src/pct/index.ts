// `pct`: LXC containers. The command table; each command group lives in its own module.
import type { Registry } from '../context.js';
import { clone } from './clone.js';
import { migrateCommand } from '../migrate.js';
import { config, pending, set } from './config.js';
import { create } from './create.js';
import { destroy } from './destroy.js';
import { resize } from './disk.js';
import { exec, pull, push } from './files.js';
import { reboot, shutdown, start, stop } from './power.js';
import { delsnapshot, listsnapshot, rollback, snapshot } from './snapshot.js';
import { list, status } from './status.js';
import { template } from './template.js';
import { unlock } from './unlock.js';

export const pctCommands: Registry = {
  create,
  clone,
  set,
  config,
  pending,
  status,
  list,
  start,
  stop,
  shutdown,
  reboot,
  destroy,
  resize,
  snapshot,
  listsnapshot,
  delsnapshot,
  rollback,
  template,
  exec,
  push,
  pull,
  unlock,
  migrate: migrateCommand('lxc'),
};
