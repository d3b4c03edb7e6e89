// The `health` step: built-in checks for features that define one, then the configured `health_check.command`,
// each retried with the configured interval.
import path from 'node:path';
import type { Fleet, LxcGuest } from '../config/model.js';
import { MISSING_SCRIPT, scriptHasher } from '../config/script-files.js';
import type { Result } from '../result.js';
import { done, exec, fail } from './act.js';
import { existenceCheck, guestScriptEnv, liveOf } from './guest-common.js';
import type { StepOptions } from './options.js';
import type { ActionContext, Argv, ExecutableStep, StepContext, StepFailure } from './step.js';
import { defineStep } from './step.js';
import { pctExec } from './pct-exec.js';

/** Feature -> command run inside the container to prove the feature works. */
export const BUILTIN_HEALTH: Readonly<Record<string, readonly string[]>> = {
  nvidia: ['nvidia-smi'],
};

interface Probe {
  argv: Argv;
  /** Host scripts get the guest environment; in-guest commands need none. */
  onHost: boolean;
  /** Run once: the script retries by itself (check_nvidia.sh, as the original ran it). */
  once?: boolean;
}

/** The install root's `check_nvidia.sh`, when it has one (as read at load). */
function nvidiaCheck(fleet: Fleet, g: LxcGuest): string | undefined {
  const file = g.scripts.nvidiaCheck;
  return file !== undefined && scriptHasher(fleet)(file) !== MISSING_SCRIPT ? file : undefined;
}

/** Features checked by a built-in probe: `nvidia` only when the install root has no check_nvidia.sh. */
function builtinFeatures(fleet: Fleet, g: LxcGuest): string[] {
  const hostCheck = nvidiaCheck(fleet, g) !== undefined;
  return g.config.features.filter((f) => BUILTIN_HEALTH[f] !== undefined && !(f === 'nvidia' && hostCheck));
}

/**
 * The probes in order. A container with the `nvidia` feature is checked by the install root's check_nvidia.sh
 * on the host with the CTID as $1, as the original's run_health_check did (else by nvidia-smi inside it).
 * `health_check.command` runs in the guest through `sh -c`: the one deliberate shell, since the command is written
 * as a shell line in the config. A command naming a health-check script runs that script on the host with the
 * CTID as $1, followed by the command's other words.
 */
export function healthProbes(fleet: Fleet, g: LxcGuest): Probe[] {
  const id = String(g.id);
  const hostNvidia = nvidiaCheck(fleet, g);
  const probes: Probe[] =
    hostNvidia === undefined ? [] : [{ argv: [hostNvidia, id], onHost: true, once: true }];
  probes.push(
    ...builtinFeatures(fleet, g).map((f) => ({
      argv: pctExec(g.id, BUILTIN_HEALTH[f] ?? []),
      onHost: false,
    })),
  );
  const command = g.config.health_check?.command;
  if (command !== undefined) {
    const script = g.scripts.healthCheck;
    if (script !== undefined) {
      const rest = command.trim().split(/\s+/).slice(1);
      probes.push({ argv: [script, id, ...rest], onHost: true });
    } else {
      probes.push({ argv: pctExec(g.id, ['sh', '-c', command]), onHost: false });
    }
  }
  return probes;
}

async function probeWithRetries(
  ctx: ActionContext<LxcGuest>,
  probe: Probe,
  options: StepOptions,
): Promise<Result<void, StepFailure>> {
  const retries = probe.once ? 1 : (ctx.target.config.health_check?.retries ?? 3);
  const intervalMs = (ctx.target.config.health_check?.interval ?? 5) * 1000;
  const opts = probe.onHost
    ? { env: guestScriptEnv(ctx.target, ctx.fleet), cwd: path.dirname(probe.argv[0] ?? '/') }
    : undefined;
  let last: Result<void, StepFailure> = done;
  for (let attempt = 1; attempt <= retries; attempt++) {
    if (attempt > 1) await options.sleep(intervalMs, ctx.signal);
    if (ctx.signal?.aborted) return fail(ctx, `interrupted during the health check of CT ${ctx.target.id}`);
    const res = await exec(ctx, probe.argv, opts);
    if (res.ok) return done;
    last = res;
    ctx.report(`health check failed (attempt ${attempt}/${retries}): ${res.error.message}`);
  }
  if (last.ok) return last;
  return fail(
    ctx,
    `health check failed after ${retries} attempts: ${last.error.message}`,
    last.error.command,
  );
}

export function healthStep(options: StepOptions): ExecutableStep<LxcGuest> {
  return defineStep<LxcGuest>({
    kind: 'health',
    instances: (g, fleet) => (healthProbes(fleet, g).length > 0 ? ['health'] : []),
    inputs: (ctx: StepContext<LxcGuest>) => ({
      health_check: ctx.target.config.health_check,
      builtin: builtinFeatures(ctx.fleet, ctx.target),
    }),
    scripts: (ctx) =>
      [ctx.target.scripts.healthCheck, nvidiaCheck(ctx.fleet, ctx.target)].filter(
        (f): f is string => f !== undefined,
      ),
    cascades: true,
    // What a probe would say is not read before planning: the cache decides once the container exists.
    check: (ctx) => existenceCheck(ctx.target, liveOf(ctx)) ?? { ok: 'unknown' },
    preview: (ctx) => healthProbes(ctx.fleet, ctx.target).map((p) => p.argv),
    async run(ctx) {
      for (const probe of healthProbes(ctx.fleet, ctx.target)) {
        const res = await probeWithRetries(ctx, probe, options);
        if (!res.ok) return res;
      }
      return done;
    },
  });
}
