/** `events`: the events Amani offers (`GET /api/v2/webhook/events`). */
import { amaniFor } from '../aws';
import { EXIT, type Command } from '../command';

export const events: Command = {
  name: 'events',
  summary: 'list the events Amani offers',
  usage: 'events',
  help: `Lists the events Amani offers (GET /api/v2/webhook/events), with the target's Amani credentials.

--json: {"ok": true, "events": ["profile_create", ...]}
Exit: 0 listed, 1 Amani or the credentials secret failed.`,
  options: {},
  async run({ target, print }) {
    const names = await (await amaniFor(target)).listEvents();
    print(names.map((event) => `  ${event}`).join('\n'), { ok: true, events: names });
    return EXIT.ok;
  },
};
