// The Python files an export carries, as text. They are real files under src/export/python/ (so they can be read,
// compiled and run on their own); Vite's `?raw` (and scripts/raw-loader.mjs in Node) bundles them as strings.
// Templates hold one marker line, `# @@GENERATED@@`, that the exporter replaces with the run's settings.
import mockWorld from './python/mock_world.py?raw';
import toolCalls from './python/tool_calls.py?raw';
import bfclMatch from './python/bfcl_match.py?raw';
import reward from './python/reward.py?raw';
import rlReward from './python/rl_reward.py?raw';
import trlData from './python/trl_data.py?raw';
import trlSft from './python/trl_sft.py?raw';
import trlEnv from './python/trl_env.py?raw';
import trlGrpo from './python/trl_grpo.py?raw';
import trlRm from './python/trl_rm.py?raw';
import trlPpo from './python/trl_ppo.py?raw';
import verlReward from './python/verl_reward.py?raw';
import verlTools from './python/verl_tools.py?raw';
import mergeAdapter from './python/merge_adapter.py?raw';

/** Modules every export needs: the reward ports (rule reward, RL episode reward) and the mock world behind the tools. */
export const SHARED_PYTHON: Record<string, string> = {
  'mock_world.py': mockWorld,
  'tool_calls.py': toolCalls,
  'bfcl_match.py': bfclMatch,
  'reward.py': reward,
  'rl_reward.py': rlReward,
};

export const TRL_PYTHON = { data: trlData, sft: trlSft, env: trlEnv, grpo: trlGrpo, rm: trlRm, ppo: trlPpo, merge: mergeAdapter };
export const VERL_PYTHON = { reward: verlReward, tools: verlTools };

export const GENERATED_MARKER = '# @@GENERATED@@';

/** The template with its marker line replaced by `code` (which must be valid Python at module level). */
export function fillTemplate(template: string, code: string, name: string): string {
  const lines = template.split('\n');
  const at = lines.findIndex((l) => l.trim() === GENERATED_MARKER);
  if (at < 0) throw new Error(`python template ${name} has no ${GENERATED_MARKER} line`);
  return [...lines.slice(0, at), code, ...lines.slice(at + 1)].join('\n');
}
