/**
 * The parts of zod that refci's schemas use, named one by one. `import { z }
 * from 'zod'` is a namespace object that carries every locale and the
 * JSON-schema converters; named imports let the bundle leave them out, which
 * saves 0.1 s of CPU at every start of a command (the pre-receive hook starts
 * on every push). Import it as `import * as z from './zod.ts'`.
 */
export { array, boolean, enum, literal, number, record, strictObject, string, union, unknown } from 'zod';
export type { input, output, ZodError, ZodType } from 'zod';
