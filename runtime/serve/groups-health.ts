// Readiness of an instance that runs several consumer groups (projection versions built beside an
// active one): each group's observer reports its own assignment, HealthState sees the union, and
// only once every group has one, so the instance is ready when every running group restored.
import type { HealthState, TaskId } from '../metrics/health.ts';

export type GroupHealth = Pick<HealthState, 'assigned' | 'restoring' | 'restored'>;

export class GroupsHealth {
  private readonly assignedBy = new Map<string, TaskId[]>();
  /** Restored before every group had an assignment: HealthState ignores tasks it was not assigned. */
  private readonly restoredEarly = new Set<TaskId>();

  constructor(
    private readonly health: HealthState,
    private readonly groups: readonly string[],
  ) {}

  /** What the observer of `group` reports to. */
  of(group: string): GroupHealth {
    return {
      assigned: (tasks) => {
        this.assignedBy.set(group, [...tasks]);
        if (!this.groups.every((g) => this.assignedBy.has(g))) return;
        this.health.assigned([...this.assignedBy.values()].flat());
        for (const t of this.restoredEarly) this.health.restored(t);
        this.restoredEarly.clear();
      },
      restoring: (task) => {
        this.restoredEarly.delete(task);
        this.health.restoring(task);
      },
      restored: (task) => {
        if (this.assignedBy.size < this.groups.length) this.restoredEarly.add(task);
        this.health.restored(task);
      },
    };
  }
}
