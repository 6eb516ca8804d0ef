// Node module hook so the CLI (run by tsx) can import shader sources the way Vite does: `import src from './x.wgsl?raw'`.
import { register } from 'node:module';

register(new URL('./raw-loader-hooks.mjs', import.meta.url));
