// Standby replicas: warm copies of other instances' task stores (docs/runtime.md, "Standby replicas").
export { StandbyTask, type StandbyTaskOptions } from './standby-task.ts';
export { type StandbyStatus, StandbyTasks, type StandbyTasksOptions } from './standby-tasks.ts';
