// The smallest building blocks of the language (expressions, names, field types), in a module of
// their own so the main schema and the commands schema can share them without importing each other.
import { z } from 'zod';

/** A CEL expression over an event or a row (see projections/expressions). */
export const Expression = z.string().min(1, 'expression must not be empty');

export const Name = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'names use letters, digits and _ and do not start with a digit');

/** Declared field types, used to type-check expressions when a source declares them. */
export const FieldType = z.enum(['string', 'number', 'int', 'boolean', 'object', 'list', 'any']);
