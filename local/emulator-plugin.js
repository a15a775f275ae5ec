/**
 * The local emulator's controls (SPEC §6) exist only under `serverless offline`: this plugin adds
 * the `localControls` function and its `/_local/*` routes to the service, and turns the emulator
 * on for every function (LOCAL_EMULATOR: the clock and faults are read per request), when and
 * only when the command is `offline`. `serverless package` and `deploy` never see any of it: no
 * route, no function, no role (test/integration/template.test.ts holds the package to that).
 */
const CONTROL_ROUTES = [
  ['GET', '/_local/health'],
  ['POST', '/_local/reset'],
  ['GET', '/_local/snapshot'],
  ['PUT', '/_local/snapshot'],
  ['GET', '/_local/clock'],
  ['POST', '/_local/clock'],
  ['GET', '/_local/faults'],
  ['PUT', '/_local/faults'],
  ['DELETE', '/_local/faults'],
];

class LocalEmulator {
  constructor(serverless) {
    if (serverless.processedInput?.commands?.[0] !== 'offline') return;
    const service = serverless.service;
    service.provider.environment = {
      ...service.provider.environment,
      LOCAL_EMULATOR: 'true',
      STAGE: String(service.provider.stage),
    };
    service.functions.localControls = {
      handler: 'local/controls.handler',
      timeout: 60,
      events: CONTROL_ROUTES.map(([method, path]) => ({ httpApi: { method, path } })),
    };
  }
}

module.exports = LocalEmulator;
module.exports.CONTROL_ROUTES = CONTROL_ROUTES;
