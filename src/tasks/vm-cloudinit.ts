// The `cloudinit` step of a VM: its cloud-init snippet (the features it runs at first boot, and the QEMU guest
// agent) written into the snippets folder of the snippets storage and attached with `qm set --cicustom`, before the
// VM first starts, as the original's apply_vm_configurations did. The VM feature steps read the same snippet back.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Fleet, VmGuest } from '../config/model.js';
import { MISSING_SCRIPT, scriptHasher } from '../config/script-files.js';
import type { Result } from '../result.js';
import { err, ok } from '../result.js';
import { done, exec, fail, verifyFailed } from './act.js';
import { renderSnippet, snippetFile, snippetKind, type Snippet, type SnippetKind } from './cloud-init.js';
import { existenceCheck, liveOf } from './guest-common.js';
import type { ActionContext, Argv, ExecutableStep, StepContext, StepFailure } from './step.js';
import { defineStep } from './step.js';
import { hasContent, readStorageConfig } from './storage.js';

type Ctx = Pick<StepContext<VmGuest>, 'fleet' | 'target'>;

/** The install root's user-data template, when it has one (as read at load). */
export function userDataTemplate(ctx: Ctx): string | undefined {
  const file = ctx.target.scripts.userDataTemplate;
  return file !== undefined && scriptHasher(ctx.fleet)(file) !== MISSING_SCRIPT ? file : undefined;
}

export function kindOf(ctx: Ctx): SnippetKind {
  return snippetKind(userDataTemplate(ctx) !== undefined);
}

function storageOf(fleet: Fleet): string {
  return fleet.hypervisor.snippets_storage;
}

/** `user=local:snippets/user-data-8001.yml`: the VM's `cicustom` value. */
export function cicustomValue(ctx: Ctx): string {
  const kind = kindOf(ctx);
  return `${kind}=${storageOf(ctx.fleet)}:snippets/${snippetFile(kind, ctx.target.id)}`;
}

/** The scripts and template the snippet is made of (their contents are hashed into the fingerprint). */
export function snippetSources(ctx: Ctx): string[] {
  const template = userDataTemplate(ctx);
  return [...(template === undefined ? [] : [template]), ...ctx.target.scripts.features.map((f) => f.path)];
}

/** Renders the VM's snippet from the files on disk (only a step's action reads files). */
export function buildSnippet(ctx: Ctx): Result<Snippet, string> {
  try {
    const template = userDataTemplate(ctx);
    const hash = scriptHasher(ctx.fleet);
    const features = ctx.target.scripts.features.map((f) => {
      if (hash(f.path) === MISSING_SCRIPT)
        throw new Error(`feature script for ${f.name} not found: ${f.path}`);
      return { ...f, content: readFileSync(f.path, 'utf8') };
    });
    return ok(
      renderSnippet({
        vm: ctx.target,
        features,
        ...(template === undefined ? {} : { template: readFileSync(template, 'utf8') }),
      }),
    );
  } catch (e) {
    return err((e as Error).message);
  }
}

/** Where the snippet goes on the node: `<storage path>/snippets/<file>`, from the cluster's storage config. */
async function snippetPath(ctx: ActionContext<VmGuest>, file: string): Promise<Result<string, StepFailure>> {
  const sid = storageOf(ctx.fleet);
  const storages = await readStorageConfig(ctx);
  if (!storages.ok) return storages;
  const st = storages.value.find((s) => s.storage === sid);
  if (st?.path === undefined) {
    const dirs = storages.value.filter((s) => s.path !== undefined).map((s) => s.storage);
    return fail(
      ctx,
      `snippets storage '${sid}' (hypervisor.snippets_storage) ${st ? 'has no folder on the node' : 'does not exist'}; storages with a folder: ${dirs.join(', ') || 'none'}`,
    );
  }
  // Proxmox reads a cicustom file whatever the storage's content list says; only its listings and GUI need it.
  if (!hasContent(st, 'snippets'))
    ctx.report(
      `storage ${sid} does not list snippets content (the snippet works; to see it in listings: pvesm set ${sid} --content ${[st.content, 'snippets'].filter(Boolean).join(',')})`,
    );
  return ok(path.posix.join(st.path, 'snippets', file));
}

const setArgv = (ctx: Ctx): Argv => ['qm', 'set', String(ctx.target.id), '--cicustom', cicustomValue(ctx)];

export const cloudInitStep: ExecutableStep<VmGuest> = defineStep<VmGuest>({
  kind: 'cloudinit',
  inputs: (ctx) => ({
    name: ctx.target.config.name,
    username: ctx.target.config.user_config?.username,
    features: ctx.target.config.features,
    cicustom: cicustomValue(ctx),
  }),
  scripts: (ctx) => snippetSources(ctx),
  // The snippet's content is the fingerprint's business (its sources are hashed); the host tells whether it is
  // attached.
  check(ctx) {
    const live = liveOf(ctx);
    const bad = existenceCheck(ctx.target, live);
    if (bad) return bad;
    if (live?.config === undefined) return { ok: 'unknown' };
    if (live.template) return { ok: true }; // a template's data was used at its own first boot
    const actual = live.config.cicustom;
    if (actual === cicustomValue(ctx)) return { ok: true };
    const diffs = [{ field: 'cicustom', actual, desired: cicustomValue(ctx) }];
    return { ok: false, reason: 'drift', detail: 'the cloud-init snippet is not attached', diffs };
  },
  preview: (ctx) => {
    if (liveOf(ctx)?.template) return [];
    const file = snippetFile(kindOf(ctx), ctx.target.id);
    const attached = liveOf(ctx)?.config?.cicustom === cicustomValue(ctx);
    return [
      [
        'install',
        '-m',
        '0600',
        `<${kindOf(ctx)}-data for VM ${ctx.target.id}>`,
        `${storageOf(ctx.fleet)}:snippets/${file}`,
      ],
      ...(attached ? [] : [setArgv(ctx)]),
    ];
  },
  async run(ctx) {
    const conf = await ctx.host.readGuestConfig('vm', ctx.target.id);
    if (!conf) return fail(ctx, `VM ${ctx.target.id} does not exist`);
    if (conf.template) return done;
    const snippet = buildSnippet(ctx);
    if (!snippet.ok)
      return fail(ctx, `cannot make the cloud-init data of VM ${ctx.target.id}: ${snippet.error}`);
    const where = await snippetPath(ctx, snippet.value.file);
    if (!where.ok) return where;
    ctx.report(`writing the cloud-init ${snippet.value.kind}-data of VM ${ctx.target.id}`);
    // 0600: a user-data template may carry a password hash; Proxmox reads it as root.
    const wrote = await ctx.host.writeHostFile(where.value, snippet.value.text, 0o600);
    if (!wrote.ok) return fail(ctx, wrote.error.message, wrote.error);
    if (conf.config?.cicustom === cicustomValue(ctx)) return done;
    const argv = setArgv(ctx);
    const res = await exec(ctx, argv);
    if (!res.ok) return res;
    const after = await ctx.host.readGuestConfig('vm', ctx.target.id);
    return after?.config?.cicustom === cicustomValue(ctx)
      ? done
      : verifyFailed(ctx, argv, `VM ${ctx.target.id} cicustom did not take`, res.value);
  },
});
