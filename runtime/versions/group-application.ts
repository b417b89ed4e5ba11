// An Application whose consumer group (and local state directory and transactional ids) is not the
// application id: a version deployed beside an active one replays its inputs in a group of its own,
// while its internal topic names keep the application prefix.
import { Application, type ApplicationOptions } from '../app/application.ts';

export function groupApplication(group: string, options: ApplicationOptions): Application {
  if (group === options.definition.application) return new Application(options);
  // Application derives its group, state directory and transactional ids from `application`.
  return new (class extends Application {
    override get application(): string {
      return group;
    }
  })(options);
}
