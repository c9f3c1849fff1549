/** The author of every commit refci writes: who did it, at what time on their clock. */
export function signatureFor(role: string, id: string, timeMs: number) {
  return { name: `refci ${role} ${id}`, email: `${id}@refci.invalid`, timeMs };
}
