// `pct snapshot`, `listsnapshot`, `delsnapshot` and `rollback`: the handlers qm shares (snapshot-commands.ts).
import { snapshotCommands } from '../snapshot-commands.js';

export const { snapshot, listsnapshot, delsnapshot, rollback } = snapshotCommands('lxc', {
  snapshot: 'pct snapshot <vmid> <snapname> [OPTIONS]',
  listsnapshot: 'pct listsnapshot <vmid>',
  delsnapshot: 'pct delsnapshot <vmid> <snapname> [OPTIONS]',
  rollback: 'pct rollback <vmid> <snapname> [OPTIONS]',
});
