// Durations and event-time windows in the definition's schema: shared by projections (window,
// joins' within) and commands' inline state, in a module of their own so the commands' schema can
// use them without importing the whole definition schema (which imports the commands').
import { z } from 'zod';
import { DURATION_HINT, parseDuration } from '../history/duration.ts';

/** Milliseconds, or a number with a unit ("30d", "12h"); more than 0. */
export const Duration = z
  .custom<number | string>((v) => v !== undefined, { message: 'a duration is required' })
  .superRefine((v, ctx) => {
    if (v === undefined) return;
    const ms = typeof v === 'number' || typeof v === 'string' ? parseDuration(v) : undefined;
    if (ms === undefined) ctx.addIssue({ code: 'custom', message: DURATION_HINT });
    else if (!(ms > 0)) ctx.addIssue({ code: 'custom', message: 'a duration must be more than 0' });
  });

/** Like Duration, but 0 is allowed (a grace of 0, a join bound of 0). */
export const DurationOrZero = z
  .custom<number | string>((v) => v !== undefined, { message: 'a duration is required' })
  .superRefine((v, ctx) => {
    const ms = typeof v === 'number' || typeof v === 'string' ? parseDuration(v) : undefined;
    if (ms === undefined) ctx.addIssue({ code: 'custom', message: DURATION_HINT });
    else if (ms < 0) ctx.addIssue({ code: 'custom', message: 'a duration must not be negative' });
  });

/**
 * A window over event time (stream aggregates): tumbling (size), hopping (size, advance) or
 * session (gap). grace: how late a record may be after its window ended (default 0);
 * retention: how long windows stay in the store (default size + grace, sessions gap + grace).
 */
export const Window = z
  .strictObject({
    type: z.enum(['tumbling', 'hopping', 'session']),
    size: Duration.optional(),
    advance: Duration.optional(),
    gap: Duration.optional(),
    grace: DurationOrZero.optional(),
    retention: Duration.optional(),
  })
  .superRefine((w, ctx) => {
    const need = (key: 'size' | 'advance' | 'gap', why: string) => {
      if (w[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: why });
    };
    const forbid = (key: 'size' | 'advance' | 'gap', why: string) => {
      if (w[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: why });
    };
    if (w.type === 'session') {
      need('gap', 'a session window needs gap (the inactivity that ends a session)');
      forbid('size', 'a session window has no size: it grows while records arrive within gap');
      forbid('advance', 'a session window has no advance');
      return;
    }
    need('size', `a ${w.type} window needs size`);
    forbid('gap', 'gap applies to session windows');
    if (w.type === 'tumbling') forbid('advance', 'a tumbling window advances by its size; use hopping');
    else need('advance', 'a hopping window needs advance (how far each window starts after the previous)');
    const size = w.size === undefined ? undefined : parseDuration(w.size);
    const advance = w.advance === undefined ? undefined : parseDuration(w.advance);
    if (size !== undefined && advance !== undefined && advance > size)
      ctx.addIssue({ code: 'custom', path: ['advance'], message: 'advance must not exceed size' });
  })
  .superRefine((w, ctx) => {
    // Kafka Streams refuses a store that would drop windows before they close.
    const ms = (v: number | string | undefined) => (v === undefined ? 0 : (parseDuration(v) ?? 0));
    const span = ms(w.type === 'session' ? w.gap : w.size) + ms(w.grace);
    if (w.retention !== undefined && ms(w.retention) < span)
      ctx.addIssue({
        code: 'custom',
        path: ['retention'],
        message: `retention must be at least ${w.type === 'session' ? 'gap' : 'size'} + grace (${span} ms), or windows would leave the store before they close`,
      });
  });
