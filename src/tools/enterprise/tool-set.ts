// The sample enterprise tool set (public/tools/enterprise_tools.json) as typed definitions, for code
// that runs without fetching it (executors, the data generator, Node CLIs, tests).

import definitions from '../../../public/tools/enterprise_tools.json';
import type { ToolDefinition } from '../types.ts';

export const ENTERPRISE_TOOLS: readonly ToolDefinition[] = definitions as ToolDefinition[];

export const ENTERPRISE_TOOL_NAMES: readonly string[] = ENTERPRISE_TOOLS.map((t) => t.function.name);
