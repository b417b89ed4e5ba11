// The application: wiring config → topology → topics → consumer group → tasks (docs/runtime.md).
// Re-exports only: the pieces themselves are internal to this folder.
export {
  Application,
  type ApplicationOptions,
  type ApplicationStatus,
  type TaskStatus,
} from './application.ts';
export { describeError, UserError } from './errors.ts';
export { planTopics, type TopicPlan } from './topic-plan.ts';
