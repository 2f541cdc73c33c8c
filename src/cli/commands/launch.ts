import { parseArgs } from 'node:util';
import { LaunchContexts } from '../../auth/server/launches.js';
import { openStore } from '../../store/factory.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** `vesta launch create`: an EHR launch context (single use, five minutes) for a SMART app's `launch` parameter. */
export const launchCommand: Command = {
  name: 'launch',
  summary: 'Create an EHR launch context (patient, encounter, user) and print its launch value',
  usage: `Usage: vesta launch create --patient ID [--encounter ID] [--user NAME] [--json]

Prints the launch value to pass to the app's launch URL (?iss=<FHIR base>&launch=<value>). It can be used once,
within five minutes; with --user only that user can complete it.`,
  async run(args, ctx) {
    const [verb, ...rest] = args;
    if (verb !== 'create') throw new UsageError('expected "create"');
    const { values } = parseArgs({ args: rest, strict: true, allowPositionals: false, options: { patient: { type: 'string' }, encounter: { type: 'string' }, user: { type: 'string' } } });
    if (!values.patient || !ID.test(values.patient)) throw new UsageError('--patient ID is required');
    if (values.encounter !== undefined && !ID.test(values.encounter)) throw new UsageError('--encounter must be a resource id');
    const { store, authState } = await openStore(ctx.config, 'tool');
    try {
      const { launch, expiresAt } = await new LaunchContexts(authState).create({
        patient: values.patient, ...(values.encounter ? { encounter: values.encounter } : {}), ...(values.user ? { user: values.user } : {}),
      });
      ctx.out(ctx.json ? JSON.stringify({ launch, expires_at: new Date(expiresAt).toISOString(), patient: values.patient, encounter: values.encounter ?? null }) : launch);
      return 0;
    } finally {
      await store.close();
    }
  },
};
