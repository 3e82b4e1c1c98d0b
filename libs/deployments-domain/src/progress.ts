import { STAGES, type DeploymentStatus, type StageName, type StageStatus } from '@slipway/deployments-contracts';

/** Steps done of steps total inside one stage: build steps parsed from the output, tasks running of tasks wanted. */
export interface StageSteps {
  stage: StageName;
  done: number;
  total: number;
}

/**
 * Each stage owns a band of the 0-100 scale. A clone is quick and says
 * nothing countable; the build is most of the wait; the rollout ends at 99 —
 * 100 is only ever success. A skipped stage counts as done, so an image
 * deployment starts its rollout at 70.
 */
export const PROGRESS_BANDS: Record<StageName, readonly [number, number]> = {
  cloning: [0, 10],
  building: [10, 70],
  deploying: [70, 99],
};

/**
 * The progress the stages show now (pure). Monotonic over a deployment's
 * life is the caller's part: a resume starts the stages over, and the
 * figure shown then keeps the highest value reached (see the decider).
 */
export function deploymentProgress(
  status: DeploymentStatus,
  stages: Record<StageName, { status: StageStatus }>,
  steps: StageSteps | null,
): number {
  if (status === 'success') return 100;
  let progress = 0;
  for (const name of STAGES) {
    const [from, to] = PROGRESS_BANDS[name];
    const s = stages[name].status;
    if (s === 'completed' || s === 'skipped') {
      progress = to;
      continue;
    }
    if (s === 'running' && steps?.stage === name && steps.total > 0) {
      const fraction = Math.min(1, Math.max(0, steps.done / steps.total));
      progress = from + Math.floor((to - from) * fraction);
    } else if (s === 'running') {
      progress = from;
    }
    break;
  }
  return Math.min(99, progress);
}

// Classic builder: "Step 3/7 : RUN ...". BuildKit: "#7 [2/4] RUN ..." (a stage's
// steps; "[stage-name 2/4]" in multi-stage builds).
const CLASSIC_STEP = /^Step (\d+)\/(\d+) :/;
const BUILDKIT_STEP = /^#\d+ \[(?:[\w.-]+ )?(\d+)\/(\d+)\]/;

/**
 * A build step announced by a line of the engine's build output: the step
 * starting (so the ones before it are done), or null. "Step 3/7" means two
 * of seven are done.
 */
export function parseBuildStep(line: string): { done: number; total: number } | null {
  const m = CLASSIC_STEP.exec(line.trim()) ?? BUILDKIT_STEP.exec(line.trim());
  if (!m) return null;
  const step = Number(m[1]);
  const total = Number(m[2]);
  if (!Number.isSafeInteger(step) || !Number.isSafeInteger(total) || total <= 0 || step < 1 || step > total) return null;
  return { done: step - 1, total };
}

/** The words shown next to the figure. */
export function progressMessage(status: DeploymentStatus, stage: StageName | null, steps: StageSteps | null, error: string | null): string {
  switch (status) {
    case 'pending':
      return 'Waiting in the queue';
    case 'success':
      return 'Deployment succeeded';
    case 'failed':
      return `Deployment failed${error ? `: ${error}` : ''}`;
    case 'cancelled':
      return `Deployment cancelled${error ? `: ${error}` : ''}`;
    case 'cloning':
    case 'building':
    case 'deploying': {
      const current = stage ?? status;
      if (steps && steps.stage === current) {
        return current === 'deploying'
          ? `Deploying: ${steps.done} of ${steps.total} task(s) running`
          : `Building: step ${Math.min(steps.total, steps.done + 1)} of ${steps.total}`;
      }
      return current === 'cloning' ? 'Cloning the repository' : current === 'building' ? 'Building the image' : 'Deploying the service';
    }
    default:
      return status satisfies never;
  }
}
