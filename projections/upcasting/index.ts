// Event versions: upcasters declared per source, event type and version (see docs/event-sourcing.md).
export { UpcastError } from './errors.ts';
export { compileUpcaster, type UpcastContext, type Upcaster } from './upcaster.ts';
