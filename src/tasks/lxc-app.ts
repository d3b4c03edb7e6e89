// The `app` step: the application script runs inside the container with the config it reads beside it, pushed to
// /tmp/phoenix_run with the common utilities (and, for some scripts, files the original pushed with them), then
// run there with the CTID as $1, as the original's run_application_script did; the folder is removed afterwards
// whatever happened.
import path from 'node:path';
import type { Fleet, LxcGuest } from '../config/model.js';
import {
  COMMON_UTILS,
  MISSING_SCRIPT,
  commonUtilsBeside,
  globalsReadBy,
  scriptHasher,
} from '../config/script-files.js';
import { hideSecrets } from '../config/secrets.js';
import type { Result } from '../result.js';
import { done, exec, fail, verifyFailed } from './act.js';
import { existenceCheck, liveOf, passthrough } from './guest-common.js';
import { pctExec } from './pct-exec.js';
import { TEMP_DIR_PLACEHOLDER, type TempFiles } from '../host/temp-files.js';
import type { ActionContext, Argv, ExecutableStep, StepContext, StepFailure } from './step.js';
import { defineStep } from './step.js';

export const RUN_DIR = '/tmp/phoenix_run';

interface Push {
  from: string;
  to: string;
  perms: string;
}

interface AppFiles {
  script: string;
  pushes: Push[];
  /** Whether the pushed config JSON is one Phoenix writes (the fleet was not read from a JSON file). */
  generated: boolean;
}

const GENERATED_CONFIG = 'phoenix_lxc_configs.json';

function appScript(g: LxcGuest): string {
  const script = g.scripts.application;
  if (script === undefined) throw new Error(`CT ${g.id} has no application script`); // instances() guards
  return script;
}

/** The helper library the original's app scripts source, when it sits beside them (as read at load). */
function commonUtils(fleet: Fleet, g: LxcGuest): string | undefined {
  const file = commonUtilsBeside(g);
  return file !== undefined && scriptHasher(fleet)(file) !== MISSING_SCRIPT ? file : undefined;
}

/** `dir`: the private folder a generated config is written to (TEMP_DIR_PLACEHOLDER in previews). */
function appFiles(fleet: Fleet, g: LxcGuest, dir: string): AppFiles {
  const script = appScript(g);
  const inContainer = `${RUN_DIR}/${path.basename(script)}`;
  const generated = !g.origin.file.endsWith('.json');
  const config = generated ? path.join(dir, GENERATED_CONFIG) : g.origin.file;
  const pushes: Push[] = [
    { from: script, to: inContainer, perms: '0755' },
    { from: config, to: `${RUN_DIR}/${path.basename(config)}`, perms: '0644' },
  ];
  const utils = commonUtils(fleet, g);
  if (utils) pushes.push({ from: utils, to: `${RUN_DIR}/${COMMON_UTILS}`, perms: '0755' });
  for (const file of presentExtras(fleet, g))
    pushes.push({ from: file, to: `${RUN_DIR}/${path.basename(file)}`, perms: '0644' });
  return { script: inContainer, pushes, generated };
}

/** The extra files of this application script that exist (as read at load). */
function presentExtras(fleet: Fleet, g: LxcGuest): string[] {
  const hash = scriptHasher(fleet);
  return (g.scripts.applicationFiles ?? []).filter((f) => hash(f) !== MISSING_SCRIPT);
}

/**
 * The config in the legacy file's shape, so scripts written for the original read it unchanged. Other guests'
 * secret values (passwords, tokens) are masked: a container's application needs its neighbours' names and
 * addresses, never their credentials.
 */
function legacyConfigJson(fleet: Fleet, target: LxcGuest): string {
  const lxc: Record<string, unknown> = {};
  for (const g of fleet.guests.values())
    if (g.kind === 'lxc') lxc[String(g.id)] = g.id === target.id ? g.config : hideSecrets(g.config);
  return `${JSON.stringify({ ...(fleet.globals ?? {}), lxc_configs: lxc }, null, 2)}\n`;
}

/**
 * What the script finds in its environment inside the container (`pct exec --keep-env 0`: nothing of the host's).
 * No secret: these travel on the command line. The guest's full config is in the pushed config file.
 */
function scriptEnv(g: LxcGuest, files: AppFiles): Record<string, string> {
  return {
    HOME: '/root',
    PHOENIX_GUEST_ID: String(g.id),
    PHOENIX_CTID: String(g.id),
    PHOENIX_GUEST_KIND: 'lxc',
    PHOENIX_CONFIG_FILE: files.pushes[1]?.to ?? '',
    PHOENIX_RUN_DIR: RUN_DIR,
  };
}

function commands(g: LxcGuest, files: AppFiles): { prepare: Argv[]; verify: Argv; run: Argv; cleanup: Argv } {
  return {
    prepare: [
      pctExec(g.id, ['mkdir', '-p', RUN_DIR]),
      ...files.pushes.map((p) => ['pct', 'push', String(g.id), p.from, p.to, '--perms', p.perms]),
    ],
    // pct push exits 0 even when the copy failed: look for the files before running.
    verify: pctExec(g.id, ['ls', '-d', ...files.pushes.map((p) => p.to)]),
    run: pctExec(g.id, [files.script, String(g.id)], scriptEnv(g, files)),
    cleanup: pctExec(g.id, ['rm', '-rf', RUN_DIR]),
  };
}

async function pushAndRun(ctx: ActionContext<LxcGuest>, files: AppFiles): Promise<Result<void, StepFailure>> {
  const cmds = commands(ctx.target, files);
  for (const argv of cmds.prepare) {
    const res = await exec(ctx, argv);
    if (!res.ok) return res;
  }
  const seen = await ctx.host.run(cmds.verify);
  if (!seen.ok)
    return verifyFailed(
      ctx,
      cmds.prepare[1] ?? cmds.verify,
      `pushed files are missing in CT ${ctx.target.id}`,
    );
  ctx.report(`running ${path.basename(files.script)} in CT ${ctx.target.id}`);
  const res = await exec(ctx, cmds.run);
  return res.ok ? done : res;
}

/** The app script, the common utilities beside it when they exist, and the files some scripts push with them. */
function appScripts(ctx: StepContext<LxcGuest>): string[] {
  const utils = commonUtils(ctx.fleet, ctx.target);
  return [appScript(ctx.target), ...(utils ? [utils] : []), ...presentExtras(ctx.fleet, ctx.target)];
}

export function appStep(): ExecutableStep<LxcGuest> {
  return defineStep<LxcGuest>({
    kind: 'app',
    instances: (g) => (g.config.application_script !== undefined ? ['app'] : []),
    inputs: (ctx: StepContext<LxcGuest>) => ({
      application_script: ctx.target.config.application_script,
      passthrough: passthrough(ctx.target),
      // The app script, the helper library it sources and the files pushed with it: what any of them names.
      globals: globalsReadBy(ctx.fleet, appScripts(ctx)),
    }),
    scripts: appScripts,
    cascades: true,
    check: (ctx) => existenceCheck(ctx.target, liveOf(ctx)) ?? { ok: 'unknown' },
    preview(ctx) {
      const c = commands(ctx.target, appFiles(ctx.fleet, ctx.target, TEMP_DIR_PLACEHOLDER));
      return [...c.prepare, c.run, c.cleanup];
    },
    async run(ctx) {
      const live = await ctx.host.readGuest('lxc', ctx.target.id);
      if (live?.status !== 'running')
        return fail(ctx, `CT ${ctx.target.id} must be running to run its application script`);
      const generated: TempFiles = ctx.target.origin.file.endsWith('.json')
        ? {}
        : { [GENERATED_CONFIG]: legacyConfigJson(ctx.fleet, ctx.target) };
      // A generated config is written to a private folder on the host for the push, removed afterwards.
      return ctx.host.withFiles(generated, async (dir) => {
        const files = appFiles(ctx.fleet, ctx.target, dir);
        try {
          return await pushAndRun(ctx, files);
        } finally {
          // Always clean up, even after a failure; a failing cleanup is reported but does not hide the result.
          const cleaned = await ctx.host.run(commands(ctx.target, files).cleanup);
          if (!cleaned.ok) ctx.report(`cleanup of ${RUN_DIR} failed: ${cleaned.error.message}`);
        }
      });
    },
  });
}
