// The cloud-init password of a VM reaches Proxmox as a SHA-512 crypt hash, never as text on a command line (`ps`
// shows every argv to every user). qemu-server stores a `cipassword` that already looks like a crypt hash as it is
// (API2/Qemu.pm: encrypt_pw only `if $param->{cipassword} !~ /^\$(?:[156]|2[ay])(\$.+){2}/`).
import { encrypt, verify } from 'unixcrypt';

/** What `qm config` and the API print instead of the stored hash (the config file itself holds the hash). */
export const PVE_PASSWORD_MASK = '**********';

/** `$6$<random salt>$<hash>`. */
export function hashPassword(password: string): string {
  return encrypt(password);
}

/** Whether a stored crypt hash (`$5$` or `$6$`, as Proxmox and cloud-init write them) is of `password`. */
export function passwordMatches(password: string, stored: string): boolean {
  if (!/^\$[56]\$[^$]+\$[./0-9A-Za-z]+$/.test(stored) && !/^\$[56]\$rounds=\d+\$/.test(stored)) return false;
  try {
    return verify(password, stored);
  } catch {
    return false;
  }
}
