// The application: wiring config → topology → topics → consumer group → tasks (docs/runtime.md).
export {
  Application,
  type ApplicationOptions,
  type ApplicationStatus,
  type TaskStatus,
} from './application.ts';
export { describeError, UserError } from './errors.ts';
export { planTopics, type TopicPlan } from './topic-plan.ts';
